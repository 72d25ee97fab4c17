/**
 * Wireshark (tshark's usb and usbhid dissectors) as the independent peer for usbmon HID captures and for
 * our report-descriptor parser and item list: every golden descriptor goes through an enumeration capture,
 * and what Wireshark finds must be what the acceptance needs and what our own code finds.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import {
  parseReportDescriptor,
  type HidCollectionInfo,
  type HidReportInfo,
} from '../../../firmware-sim/hid/descriptor.js';
import { BOOT_KEYBOARD_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-keyboard.js';
import { BOOT_MOUSE_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-mouse.js';
import {
  HID_POS_SCANNER_DESCRIPTOR,
  HID_POS_SCANNER_REPORT_ID,
} from '../../../firmware-sim/hid/descriptors/hid-pos-scanner.js';
import { SEVEN_USAGES_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/seven-usages.js';
import { formatDescriptor, listDescriptorItems } from '../../../firmware-sim/hid/item-list.js';
import { BarcodeScanner, UsagePage, extendedUsage } from '../../../firmware-sim/hid/usages.js';
import { UsbHidCapture, usbHidFunctionOf } from '../../../devices/capture/usb-hid-capture.js';
import { HidScannerTwin } from '../../../devices/hid/scanner-twin.js';
import { getScannerProfile } from '../../../devices/profiles/scanners.js';
import { encodeTriggerReport, hidPosLayout } from '../../../firmware-sim/scanner/hid-pos.js';
import {
  hexDumpBytes,
  hidDescriptorOracle,
  hidInputReportsOracle,
  pdmlFields,
  rawBytes,
  tsharkPdml,
  tsharkProblems,
  type HidOracleCollection,
  type HidOracleMainItem,
} from '../../hid-oracle.js';
import { hasTshark } from '../../oracles.js';

const NEEDS = '(needs tshark from Debian tshark)';
const GOLDEN: [string, Uint8Array][] = [
  ['boot keyboard (HID 1.11 B.1)', BOOT_KEYBOARD_DESCRIPTOR],
  ['boot mouse (HID 1.11 B.2)', BOOT_MOUSE_DESCRIPTOR],
  ['HID POS scanner', HID_POS_SCANNER_DESCRIPTOR],
  ['seven usages', SEVEN_USAGES_DESCRIPTOR],
];
const pos = (id: number): number => extendedUsage(UsagePage.BARCODE_SCANNER, id);

/** Main items of a collection and all its descendants. */
function mainItemsUnder(c: HidOracleCollection): HidOracleMainItem[] {
  return [...c.mainItems, ...c.children.flatMap(mainItemsUnder)];
}

/** Our parser's collection tree in the oracle's shape (no offsets): page, usage, type, items' usages. */
function ourTree(c: HidCollectionInfo): unknown {
  const items = (kind: string, reports: HidReportInfo[]) =>
    reports.flatMap((r) =>
      r.items.map((i) => ({ kind, offset: i.descriptorOffset, reportId: r.reportId, usages: i.usages })),
    );
  return {
    type: c.type,
    usagePage: c.usagePage,
    usage: c.usage,
    children: c.children.map(ourTree),
    mainItems: [
      ...items('input', c.inputReports),
      ...items('output', c.outputReports),
      ...items('feature', c.featureReports),
    ].sort((a, b) => a.offset - b.offset),
  };
}

function theirTree(c: HidOracleCollection): unknown {
  return {
    type: c.type,
    usagePage: c.usagePage,
    usage: c.usage,
    children: c.children.map(theirTree),
    mainItems: c.mainItems.map(({ kind, offset, reportId, usages }) => ({ kind, offset, reportId, usages })),
  };
}

describe('usbmon HID captures read by Wireshark', () => {
  it.skipIf(!hasTshark)(
    `HID POS scanner: Wireshark finds an Application collection 0x8C:0x02 whose input report carries Decoded Data 0x8C:0xFE ${NEEDS}`,
    async () => {
      const oracle = (await hidDescriptorOracle(HID_POS_SCANNER_DESCRIPTOR))!;
      expect(oracle.problems).toEqual([]);
      const app = oracle.collections.find(
        (c) =>
          c.type === 1 &&
          c.usagePage === UsagePage.BARCODE_SCANNER &&
          c.usage === BarcodeScanner.BARCODE_SCANNER,
      );
      expect(app).toBeDefined();
      const inputs = mainItemsUnder(app!).filter((i) => i.kind === 'input');
      const decoded = inputs.find((i) => i.usages.includes(pos(BarcodeScanner.DECODED_DATA)));
      expect(decoded).toMatchObject({ reportId: HID_POS_SCANNER_REPORT_ID });
      expect(oracle.inputUsages).toEqual(
        expect.arrayContaining([0xfb, 0xfc, 0xfd, 0xfe, 0xff].map((id) => pos(id))),
      );
      expect(oracle.outputUsages).toEqual([0x60, 0x5f, 0x86, 0x85].map((id) => pos(id)));
      expect(oracle.reportIds).toEqual([2, 4]);
    },
  );

  it.skipIf(!hasTshark)(
    `boot keyboard: Wireshark finds the Generic Desktop Keyboard collection, its modifier/key inputs and LED output report ${NEEDS}`,
    async () => {
      const oracle = (await hidDescriptorOracle(BOOT_KEYBOARD_DESCRIPTOR, { boot: 'keyboard' }))!;
      expect(oracle.problems).toEqual([]);
      expect(oracle.collections).toHaveLength(1);
      expect(oracle.collections[0]).toMatchObject({ type: 1, usagePage: 0x01, usage: 0x06 });
      const led = (id: number) => extendedUsage(UsagePage.LED, id);
      expect(oracle.outputUsages).toEqual([1, 2, 3, 4, 5].map(led));
      const key = (id: number) => extendedUsage(UsagePage.KEYBOARD, id);
      expect(oracle.inputUsages.slice(0, 8)).toEqual(
        [0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7].map(key),
      );
      expect(oracle.inputUsages).toHaveLength(8 + 0x66);
      expect(oracle.reportIds).toEqual([]);
    },
  );

  it.skipIf(!hasTshark)(
    `the printed hex dump of the HID POS descriptor, read back, is what Wireshark reads as 0x8C:0x02 with Decoded Data ${NEEDS}`,
    async () => {
      const printed = formatDescriptor(HID_POS_SCANNER_DESCRIPTOR);
      const bytes = hexDumpBytes(printed)!;
      expect(Buffer.from(bytes).equals(Buffer.from(HID_POS_SCANNER_DESCRIPTOR))).toBe(true);
      const oracle = (await hidDescriptorOracle(bytes))!;
      expect(oracle.problems).toEqual([]);
      expect(oracle.collections[0]).toMatchObject({ type: 1, usagePage: 0x8c, usage: 0x02 });
      expect(
        mainItemsUnder(oracle.collections[0]!).some(
          (i) => i.kind === 'input' && i.usages.includes(pos(0xfe)),
        ),
      ).toBe(true);
      // The readable list names the same items Wireshark found, at the same offsets.
      const listed = printed
        .split('\n')
        .filter((l) => /^[0-9A-F]{4} {2}[0-9A-F]{2}( [0-9A-F]{2})* {2,}\S/.test(l))
        .map((l) => parseInt(l.slice(0, 4), 16));
      expect(listed).toEqual(oracle.items.map((i) => i.offset));
    },
  );

  for (const [name, descriptor] of GOLDEN) {
    it.skipIf(!hasTshark)(
      `${name}: Wireshark's items and collection tree agree with our item list and parser ${NEEDS}`,
      async () => {
        const oracle = (await hidDescriptorOracle(descriptor))!;
        expect(oracle.problems).toEqual([]);
        const ours = listDescriptorItems(descriptor).items;
        expect(oracle.items.map((i) => [i.offset, i.type, i.tag])).toEqual(
          ours.map((i) => [i.offset, { main: 0, global: 1, local: 2 }[i.type as 'main'], i.tag]),
        );
        const parsed = parseReportDescriptor(descriptor);
        expect(oracle.collections.map(theirTree)).toEqual(parsed.collections.map(ourTree));
      },
    );
  }

  it.skipIf(!hasTshark)(
    `the oracle can fail: without the Decoded Data usage Wireshark reports no 0x8C:0xFE ${NEEDS}`,
    async () => {
      const changed = Uint8Array.from(HID_POS_SCANNER_DESCRIPTOR);
      const at = changed.findIndex((b, i) => b === 0x09 && changed[i + 1] === 0xfe);
      changed[at + 1] = 0xfd;
      const oracle = (await hidDescriptorOracle(changed))!;
      expect(oracle.inputUsages).not.toContain(pos(BarcodeScanner.DECODED_DATA));
      expect(oracle.inputUsages).toContain(pos(BarcodeScanner.SYMBOLOGY_IDENTIFIER_3));
    },
  );

  it.skipIf(!hasTshark)(
    `the malformed check can fail: a descriptor cut inside an item is a Malformed Packet for Wireshark ${NEEDS}`,
    async () => {
      const oracle = (await hidDescriptorOracle(HID_POS_SCANNER_DESCRIPTOR.subarray(0, 15)))!;
      expect(oracle.problems.join('\n')).toMatch(/Malformed Packet/);
    },
  );

  it.skipIf(!hasTshark)(
    `HID POS input reports on interrupt IN are usbhid data: report ID 2, AIM id and data by usage ${NEEDS}`,
    async () => {
      const report = new Uint8Array(64);
      report.set([HID_POS_SCANNER_REPORT_ID, 13, 0x5d, 0x45, 0x30], 0);
      report.set(Buffer.from('9780201379629'), 5);
      const continued = Uint8Array.from(report);
      continued[63] = 0x01;
      const oracle = (await hidInputReportsOracle(HID_POS_SCANNER_DESCRIPTOR, [report, continued]))!;
      expect(oracle.problems).toEqual([]);
      expect(oracle.reports).toHaveLength(2);
      for (const [i, decoded] of oracle.reports.entries()) {
        expect(decoded.reportId).toBe(2);
        expect(decoded.data).toEqual(Array.from(i === 0 ? report : continued));
        const byUsage = new Map(decoded.usages.map((u) => [u.usage, u.raw]));
        expect([0xfb, 0xfc, 0xfd].map((u) => byUsage.get(u))).toEqual([[0x5d], [0x45], [0x30]]);
        // Wireshark 4.0 shows the first field of the 56-byte Decoded Data item (the rest as padding).
        expect(byUsage.get(0xfe)).toEqual([0x39]);
        // Decode Data Continued is bit 0 of the last byte.
        expect((byUsage.get(0xff)?.[0] ?? -1) & 1).toBe(i);
      }
    },
  );

  it.skipIf(!hasTshark)(
    `boot keyboard reports: interrupt IN keys and the interrupt OUT LED report are usbhid data ${NEEDS}`,
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-usbmon-tshark-'));
      try {
        const file = path.join(dir, 'kb.pcapng');
        const capture = new UsbHidCapture({
          file,
          clock: new VirtualClock(),
          function: { vendorId: 0x1209, productId: 2, descriptor: BOOT_KEYBOARD_DESCRIPTOR, outEndpoint: 2 },
        });
        capture.inputReport(Uint8Array.of(0x02, 0, 0x04, 0, 0, 0, 0, 0), 10); // Shift + a
        capture.inputReport(new Uint8Array(8), 18);
        capture.outputReport(Uint8Array.of(0x02), 30); // Caps Lock LED
        capture.close();
        const pdml = await tsharkPdml(file);
        expect(tsharkProblems(pdml)).toEqual([]);
        const data = pdmlFields(pdml, 'usbhid.data').map((n) => Buffer.from(rawBytes(n)).toString('hex'));
        expect(data).toEqual(['0200040000000000', '0000000000000000', '02']);
        const shown = pdmlFields(pdml, 'usbhid.data')
          .flatMap((n) => n.children.map((c) => c.attrs.showname ?? ''))
          .join('\n');
        expect(shown).toMatch(/Caps Lock: 1/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!hasTshark)(
    `HID POS scanner twin recorded while scanning: Wireshark reads ]E0 and the data, and the host's trigger report ${NEEDS}`,
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-usbmon-tshark-'));
      const clock = new VirtualClock();
      const twin = new HidScannerTwin({
        name: 'scanner',
        profile: getScannerProfile('honeywell-1900'),
        mode: 'hid-pos',
        clock,
        attach: false,
      });
      const device = twin.open();
      try {
        const file = path.join(dir, 'twin.pcapng');
        const capture = new UsbHidCapture({ file, clock, function: await usbHidFunctionOf(device) });
        device.setCapture(capture);
        expect(twin.scan({ kind: 'symbol', symbology: 'ean13', text: '4901234567894' }).read).toBe(true);
        await device.write(encodeTriggerReport(hidPosLayout(device.descriptor), { initiateRead: true }));
        capture.close();

        const pdml = await tsharkPdml(file);
        expect(tsharkProblems(pdml)).toEqual([]);
        const [input] = pdmlFields(pdml, 'usbhid.data');
        const usages = input!.children.filter((c) => c.attrs.name === 'usbhid.item.local.usage');
        const aim = [0xfb, 0xfc, 0xfd].map((u) => usages.find((c) => Number(c.attrs.show) === u));
        expect(Buffer.from(aim.flatMap((c) => rawBytes(c!))).toString()).toBe(']E0');
        expect(Buffer.from(rawBytes(input!).slice(5, 18)).toString()).toBe('4901234567894');
        // The trigger report went by SET_REPORT(Output, ID 4): usbhid.setup fields of the request.
        const setReports = pdmlFields(pdml, 'usbhid.setup.bRequest').filter(
          (n) => Number(n.attrs.show) === 0x09,
        );
        expect(setReports).toHaveLength(1);
        expect(pdmlFields(pdml, 'usbhid.setup.ReportID').map((n) => Number(n.attrs.show))).toContain(4);
      } finally {
        twin.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
