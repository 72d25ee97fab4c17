/**
 * The HID scanner twin as a host meets it: the emulated device's node-hid surface. HID POS reports are
 * read back through the host-side assembler; wedge key reports through the host's keyboard layout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import {
  hidPosLayout,
  ScannedDataAssembler,
  encodeTriggerReport,
} from '../../../firmware-sim/scanner/hid-pos.js';
import { decodeWedgeReports, encodeLedReport } from '../../../firmware-sim/scanner/wedge.js';
import { getScannerProfile } from '../../../devices/profiles/scanners.js';
import { HidScannerTwin } from '../../../devices/hid/scanner-twin.js';
import type { EmulatedHidDevice } from '../../../devices/hid/emulated-device.js';

const twins: HidScannerTwin[] = [];
afterEach(() => {
  for (const t of twins.splice(0)) t.close();
});

function twin(
  mode: 'hid-pos' | 'wedge',
  layout?: 'us' | 'de',
): { twin: HidScannerTwin; device: EmulatedHidDevice; reports: Buffer[] } {
  const t = new HidScannerTwin({
    name: 'scanner',
    profile: getScannerProfile('honeywell-1900'),
    mode,
    clock: new VirtualClock(),
    attach: false,
    ...(layout ? { layout } : {}),
  });
  twins.push(t);
  const reports: Buffer[] = [];
  const device = t.open();
  device.on('data', (r: Buffer) => reports.push(r));
  return { twin: t, device, reports };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('HID POS scanner twin', () => {
  it('presents a HID POS device and sends an EAN-13 as one Scanned Data report', async () => {
    const { twin: t, device, reports } = twin('hid-pos');
    const info = await device.getDeviceInfo();
    expect(info).toMatchObject({
      vendorId: 0x0c2e,
      productId: 0x0b61,
      usagePage: 0x8c,
      path: 'emu:hid/scanner',
    });
    expect(t.scan({ kind: 'symbol', symbology: 'ean13', text: '4901234567894' }).read).toBe(true);
    await settle();
    expect(reports).toHaveLength(1);
    const layout = hidPosLayout(device.descriptor);
    const assembler = new ScannedDataAssembler(layout);
    const label = assembler.push(reports[0]!);
    expect(label).toMatchObject({ aim: ']E0' });
    expect(Buffer.from(label!.data).toString()).toBe('4901234567894');
  });

  it('splits a long QR over continued reports that reassemble byte for byte', async () => {
    const { twin: t, device, reports } = twin('hid-pos');
    const text = 'PAY:' + 'x'.repeat(150);
    t.scan({ kind: 'symbol', symbology: 'qr', text });
    await settle();
    expect(reports.length).toBe(3);
    const assembler = new ScannedDataAssembler(hidPosLayout(device.descriptor));
    const labels = reports.map((r) => assembler.push(r)).filter((l) => l !== undefined);
    expect(labels).toHaveLength(1);
    expect(Buffer.from(labels[0]!.data).toString()).toBe(text);
  });

  it('reads what is presented when the host sends Initiate Read in the trigger report', async () => {
    const { twin: t, device, reports } = twin('hid-pos');
    t.firmware.present({ kind: 'symbol', symbology: 'code128', text: 'HOST-TRIGGER' });
    expect(reports).toHaveLength(0);
    await device.write(encodeTriggerReport(hidPosLayout(device.descriptor), { initiateRead: true }));
    await settle();
    expect(reports).toHaveLength(1);
  });
});

describe('keyboard-wedge scanner twin', () => {
  it('types the formatted label as key-down/release pairs a US host reads back', async () => {
    const { twin: t, reports } = twin('wedge');
    t.scan({ kind: 'symbol', symbology: 'ean13', text: '4901234567894' });
    await settle();
    expect(reports.length).toBe(2 * ']E04901234567894\r\n'.length);
    expect(decodeWedgeReports(reports, { layout: 'us' }).text).toBe(']E04901234567894\r\n');
  });

  it('follows the host Caps Lock LED so the host still reads the right case', async () => {
    const { twin: t, device, reports } = twin('wedge');
    await device.write(Uint8Array.of(0, ...encodeLedReport({ capsLock: true })));
    expect(t.hostCapsLock).toBe(true);
    t.scan({ kind: 'symbol', symbology: 'code128', text: 'AbC' });
    await settle();
    expect(decodeWedgeReports(reports, { layout: 'us', capsLock: true }).text).toBe(']C0AbC\r\n');
  });

  it('a German scanner read by a US host gives the characters of the key positions', async () => {
    const { twin: t, reports } = twin('wedge', 'de');
    t.scan({ kind: 'symbol', symbology: 'code128', text: 'zy' });
    await settle();
    expect(decodeWedgeReports(reports, { layout: 'us' }).text).toContain('yz');
  });
});
