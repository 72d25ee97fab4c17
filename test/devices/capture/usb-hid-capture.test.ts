/**
 * USB HID captures read back by the tests' own pcapng walker and usbmon decoder (tshark, the independent
 * reader, is in usbmon.tshark.test.ts).
 */
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SystemClock, VirtualClock } from '../../../firmware-sim/clock.js';
import { BOOT_KEYBOARD_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-keyboard.js';
import { HID_POS_SCANNER_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/hid-pos-scanner.js';
import {
  BLOCK_TYPE_EPB,
  BLOCK_TYPE_IDB,
  LINKTYPE_USB_LINUX_MMAPPED,
} from '../../../devices/capture/pcapng.js';
import { VIRTUAL_EPOCH_MS } from '../../../devices/capture/serial-capture.js';
import { EmulatedHidDevice } from '../../../devices/hid/emulated-device.js';
import {
  UsbHidCapture,
  hidEnumerationPackets,
  usbHidFunctionOf,
  usbDeviceDescriptor,
  usbHidConfigurationDescriptor,
} from '../../../devices/capture/usb-hid-capture.js';
import { UsbmonError, decodeUsbmonPacket, type UsbmonPacket } from '../../../devices/capture/usbmon.js';
import { walkBlocks } from './blocks.js';

const POS = { vendorId: 0x0c2e, productId: 0x0b61, descriptor: HID_POS_SCANNER_DESCRIPTOR };
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

/** The usbmon packets of a capture file, by our own walker. */
function readCapture(file: string): { linkTypes: number[]; packets: UsbmonPacket[] } {
  const blocks = walkBlocks(fs.readFileSync(file));
  const linkTypes = blocks.filter((b) => b.type === BLOCK_TYPE_IDB).map((b) => b.body.readUInt16LE(0));
  const packets = blocks
    .filter((b) => b.type === BLOCK_TYPE_EPB)
    .map((b) => {
      const p = decodeUsbmonPacket(b.body.subarray(20, 20 + b.body.readUInt32LE(12)));
      if (p instanceof UsbmonError) throw p;
      return p;
    });
  return { linkTypes, packets };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-usbcap-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('USB descriptors of the captured HID function', () => {
  it('device descriptor (USB 2.0 §9.6.1): 18 bytes, class at the interface, VID/PID little-endian', () => {
    expect(hex(usbDeviceDescriptor(POS))).toBe('120100020000004' + '02e0c610b0001' + '00000001');
  });

  it('configuration (USB 2.0 §9.6.3–§9.6.6, HID 1.11 §6.2.1): interface class 3, HID descriptor announcing 95 bytes', () => {
    expect(hex(usbHidConfigurationDescriptor(POS))).toBe(
      [
        '09022200010100' + '8032', // configuration, wTotalLength 34
        '090400000103000000', // interface 0, 1 endpoint, class HID, no boot subclass
        '092111010001225f00', // HID 1.11, one Report descriptor of 0x5F = 95 bytes
        '0705810340' + '0001', // endpoint 0x81 interrupt, 64 bytes, 1 ms
      ].join(''),
    );
  });

  it('boot keyboard with an OUT endpoint: subclass 1 protocol 1, two endpoints, 8-byte packets', () => {
    const config = usbHidConfigurationDescriptor({
      vendorId: 1,
      productId: 2,
      descriptor: BOOT_KEYBOARD_DESCRIPTOR,
      boot: 'keyboard',
      interfaceNumber: 2,
      inEndpoint: 3,
      outEndpoint: 4,
      interval: 10,
    });
    expect(config.length).toBe(9 + 9 + 9 + 7 + 7);
    expect(hex(config.subarray(9, 18))).toBe('090402000203010100');
    expect(hex(config.subarray(18 + 7, 18 + 9))).toBe('3f00'); // wDescriptorLength 63
    expect(hex(config.subarray(27))).toBe('07058303080' + '00a' + '07050403080' + '00a');
  });

  it('refuses endpoint numbers and IDs out of range', () => {
    expect(() => usbDeviceDescriptor({ ...POS, inEndpoint: 16 })).toThrow(RangeError);
    expect(() => usbDeviceDescriptor({ ...POS, vendorId: 0x10000 })).toThrow(/vendorId/);
    expect(() => usbDeviceDescriptor({ ...POS, outEndpoint: 0 })).toThrow(/outEndpoint/);
  });
});

describe('HID enumeration packets', () => {
  it('GET_DESCRIPTOR Device, Configuration ×2, SET_CONFIGURATION, SET_IDLE, GET_DESCRIPTOR Report, then an IN poll', () => {
    const packets = hidEnumerationPackets({ ...POS, interfaceNumber: 1, inEndpoint: 2 });
    const setups = packets.filter((p) => p.setup).map((p) => hex(p.setup));
    expect(setups).toEqual([
      '8006000100001200',
      '8006000200000900',
      '8006000200002200',
      '0009010000000000',
      '210a000001000000', // SET_IDLE to interface 1 (HID 1.11 §7.2.4)
      '810600220100' + '5f00', // GET_DESCRIPTOR(Report) to interface 1, 95 bytes (HID 1.11 §7.1.1)
    ]);
    const reportAnswer = packets[11]!;
    expect(reportAnswer).toMatchObject({ type: 'C', endpoint: 0x80, urbLength: 95 });
    expect(hex(reportAnswer.data)).toBe(hex(HID_POS_SCANNER_DESCRIPTOR));
    expect(packets.at(-1)).toMatchObject({ type: 'S', transferType: 1, endpoint: 0x82, urbLength: 64 });
    // Every Complete follows the Submit with its id.
    for (let i = 0; i + 1 < packets.length - 1; i += 2) {
      expect([packets[i]!.type, packets[i + 1]!.type]).toEqual(['S', 'C']);
      expect(packets[i + 1]!.id).toBe(packets[i]!.id);
    }
    expect(new Set(packets.map((p) => p.id)).size).toBe(7);
  });

  it('property: any descriptor bytes are announced with their length and served verbatim', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (descriptor) => {
        const packets = hidEnumerationPackets({ vendorId: 1, productId: 1, descriptor });
        const config = packets[5]!.data;
        expect(Buffer.from(config).readUInt16LE(25)).toBe(descriptor.length);
        expect(Buffer.from(packets[10]!.setup!).readUInt16LE(6)).toBe(descriptor.length);
        expect(hex(packets[11]!.data)).toBe(hex(descriptor));
      }),
      { numRuns: 200 },
    );
  });
});

describe('UsbHidCapture', () => {
  it('writes link type 220 and, after the enumeration, input reports as interrupt IN Completes', () => {
    const file = path.join(dir, 'pos.pcapng');
    const clock = new VirtualClock();
    const capture = new UsbHidCapture({ file, clock, function: POS });
    const report = new Uint8Array(64);
    report.set([2, 3, 0x5d, 0x45, 0x30, 0x41, 0x42, 0x43]);
    capture.inputReport(report, 25);
    capture.outputReport(Uint8Array.of(4, 0x04), 30.5);
    capture.close();
    capture.inputReport(report, 40); // after close: ignored

    const { linkTypes, packets } = readCapture(file);
    expect(linkTypes).toEqual([LINKTYPE_USB_LINUX_MMAPPED]);
    expect(packets).toHaveLength(13 + 2 + 2);
    const [poll, reportIn, resubmit, setReport, setReportDone] = packets.slice(12);
    expect(reportIn).toMatchObject({
      type: 'C',
      transferType: 1,
      endpoint: 0x81,
      id: poll!.id,
      urbLength: 64,
    });
    expect(reportIn!.timestampUs).toBe(BigInt(VIRTUAL_EPOCH_MS) * 1000n + 25_000n);
    expect(hex(reportIn!.data)).toBe(hex(report));
    expect(resubmit).toMatchObject({ type: 'S', endpoint: 0x81 });
    expect(resubmit!.id).not.toBe(poll!.id);
    // No OUT endpoint: the output report goes by SET_REPORT(Output, ID 4) (HID 1.11 §7.2.2).
    expect(hex(setReport!.setup)).toBe('2109040200000200');
    expect(hex(setReport!.data)).toBe('0404');
    expect(setReport!.timestampUs).toBe(BigInt(VIRTUAL_EPOCH_MS) * 1000n + 30_500n);
    expect(setReportDone).toMatchObject({ type: 'C', id: setReport!.id, urbLength: 2 });
  });

  it('with an OUT endpoint, output reports go as interrupt OUT; feature reports by SET/GET_REPORT', () => {
    const file = path.join(dir, 'kb.pcapng');
    const capture = new UsbHidCapture({
      file,
      clock: new VirtualClock(),
      function: { vendorId: 1, productId: 2, descriptor: BOOT_KEYBOARD_DESCRIPTOR, outEndpoint: 2 },
    });
    capture.outputReport(Uint8Array.of(0x02), 5);
    capture.setFeatureReport(Uint8Array.of(7, 7), 6);
    capture.getFeatureReport(Uint8Array.of(9), 7);
    capture.close();
    const out = readCapture(file).packets.slice(13);
    expect(out[0]).toMatchObject({ type: 'S', transferType: 1, endpoint: 0x02, urbLength: 1 });
    expect(hex(out[0]!.data)).toBe('02');
    expect(out[1]).toMatchObject({ type: 'C', endpoint: 0x02, urbLength: 1 });
    // Without report IDs the report ID in wValue is 0 (HID 1.11 §7.2.1–§7.2.2).
    expect(hex(out[2]!.setup)).toBe('2109000300000200');
    expect(hex(out[4]!.setup)).toBe('a101000300000100');
    expect(hex(out[5]!.data)).toBe('09');
  });

  it('a wall-clock capture stamps packets near the real time', () => {
    const file = path.join(dir, 'wall.pcapng');
    const before = BigInt(Date.now()) * 1000n;
    new UsbHidCapture({ file, clock: new SystemClock(), function: POS }).close();
    const first = readCapture(file).packets[0]!.timestampUs;
    expect(first >= before - 1_000_000n && first <= before + 60_000_000n).toBe(true);
  });
});

describe('recording an EmulatedHidDevice', () => {
  it('the device reports delivered input and accepted output reports to its capture, USB-framed', async () => {
    const clock = new VirtualClock();
    const device = new EmulatedHidDevice({
      descriptor: HID_POS_SCANNER_DESCRIPTOR,
      info: { vendorId: 0x0c2e, productId: 0x0b61, release: 0x0123, interface: 1 },
      clock,
    });
    const fn = await usbHidFunctionOf(device);
    expect(fn).toMatchObject({ vendorId: 0x0c2e, productId: 0x0b61, release: 0x0123, interfaceNumber: 1 });
    const file = path.join(dir, 'device.pcapng');
    const capture = new UsbHidCapture({ file, clock, function: fn });
    device.setCapture(capture);
    const report = new Uint8Array(64);
    report.set([2, 1, 0x5d, 0x58, 0x30, 0x41]);
    device.queueInputReport(report);
    await device.write([4, 0x01]);
    await expect(device.write([4, 0x01, 0x00])).rejects.toThrow(); // refused: not on the wire
    device.setCapture(undefined);
    device.queueInputReport(report); // no longer recorded
    capture.close();
    await device.close();

    const packets = readCapture(file).packets;
    expect(packets[5]!.data[9 + 2]).toBe(1); // bInterfaceNumber
    expect(Buffer.from(packets[1]!.data).readUInt16LE(12)).toBe(0x0123); // bcdDevice
    const after = packets.slice(13);
    expect(after.map((p) => p.type)).toEqual(['C', 'S', 'S', 'C']);
    expect(hex(after[0]!.data)).toBe(hex(report));
    expect(hex(after[2]!.setup)).toBe('2109040201000200'); // SET_REPORT(Output 4) to interface 1
    expect(hex(after[2]!.data)).toBe('0401');
  });
});
