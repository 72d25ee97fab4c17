import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOOT_KEYBOARD_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/boot-keyboard.js';
import { HID_POS_SCANNER_DESCRIPTOR } from '../../../firmware-sim/hid/descriptors/hid-pos-scanner.js';
import {
  EmulatedHidDevice,
  HidDeviceError,
  INPUT_BUFFER_REPORTS,
  type HidDeviceHandler,
} from '../../../devices/hid/emulated-device.js';
import { parseReportDescriptor } from '../../../firmware-sim/hid/descriptor.js';
import { VirtualClock, type Clock } from '../../../firmware-sim/clock.js';
import {
  encodeScannedData,
  encodeTriggerReport,
  hidPosLayout,
  parseTriggerReport,
  reassembleLabel,
  type TriggerCommands,
} from '../../../firmware-sim/scanner/hid-pos.js';
import { decodeWedgeReports, encodeWedge, parseLedReport } from '../../../firmware-sim/scanner/wedge.js';

/** A clock that paces like the wall clock (virtual = false) but moves only when the test says. */
function pacedClock(): { clock: Clock; time: VirtualClock } {
  const time = new VirtualClock();
  const clock: Clock = {
    now: () => time.now(),
    setTimeout: (fn, ms) => time.setTimeout(fn, ms),
    clearTimeout: (h) => time.clearTimeout(h),
    virtual: false,
    touch: () => {},
  };
  return { clock, time };
}

const scannerInfo = {
  vendorId: 0x0c2e,
  productId: 0x0b61,
  serialNumber: '21012B1234',
  manufacturer: 'Honeywell',
  product: 'Xenon 1900 (emulated)',
  release: 0x0100,
};

function scanner(clock: Clock = new VirtualClock(), handler?: HidDeviceHandler): EmulatedHidDevice {
  return new EmulatedHidDevice({ descriptor: HID_POS_SCANNER_DESCRIPTOR, info: scannerInfo, clock, handler });
}

function keyboard(clock: Clock = new VirtualClock(), handler?: HidDeviceHandler): EmulatedHidDevice {
  return new EmulatedHidDevice({
    descriptor: BOOT_KEYBOARD_DESCRIPTOR,
    info: { vendorId: 0x0c2e, productId: 0x0b01 },
    clock,
    handler,
  });
}

async function rejectsWith(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(HidDeviceError);
  await expect(p).rejects.toThrow(pattern);
}

const layout = hidPosLayout(parseReportDescriptor(HID_POS_SCANNER_DESCRIPTOR));

describe('EmulatedHidDevice: identity', () => {
  it('getDeviceInfo has node-hid Device fields, usage page/usage from the descriptor', async () => {
    const dev = scanner();
    expect(await dev.getDeviceInfo()).toEqual({
      ...scannerInfo,
      path: 'emu:hid/0c2e:0b61',
      interface: 0,
      usagePage: 0x8c,
      usage: 0x02,
    });
    expect(await dev.getReportDescriptor()).toEqual(Buffer.from(HID_POS_SCANNER_DESCRIPTOR));
    const kb = await keyboard().getDeviceInfo();
    expect([kb.usagePage, kb.usage, kb.release]).toEqual([0x01, 0x06, 0]);
  });

  it('rejects an invalid descriptor at construction', () => {
    expect(
      () =>
        new EmulatedHidDevice({
          descriptor: Uint8Array.of(0xa1, 0x01),
          info: scannerInfo,
          clock: new VirtualClock(),
        }),
    ).toThrow(HidDeviceError);
  });
});

describe('EmulatedHidDevice: write', () => {
  it('an output report with its ID reaches the device; returns the bytes written', async () => {
    const got: TriggerCommands[] = [];
    const dev = scanner(new VirtualClock(), { output: (r) => got.push(parseTriggerReport(layout, r)) });
    const report = encodeTriggerReport(layout, { initiateRead: true });
    expect(await dev.write(Buffer.from(report))).toBe(2);
    expect(await dev.write([0x04, 0x02])).toBe(2);
    expect(got.map((c) => [c.initiateRead, c.preventRead])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it('unknown report IDs and wrong lengths are errors', async () => {
    const dev = scanner();
    await rejectsWith(dev.write([0x05, 0x01]), /Cannot write to hid device: no output report 5/);
    await rejectsWith(dev.write([0x02, ...new Array<number>(63).fill(0)]), /no output report 2/);
    await rejectsWith(dev.write([0x04]), /output report 4 has 2 bytes with its ID, not 1/);
    await rejectsWith(dev.write([0x04, 0x01, 0x00]), /not 3/);
    await rejectsWith(dev.write([]), /empty report/);
    await rejectsWith(dev.write([0x04, 0x100]), /bytes/);
  });

  it('a device without report IDs takes a 0x00 prefix, which is not sent', async () => {
    const leds: boolean[] = [];
    const kb = keyboard(new VirtualClock(), { output: (r) => leds.push(parseLedReport(r).capsLock) });
    expect(await kb.write([0x00, 0x02])).toBe(2);
    expect(leds).toEqual([true]);
    // the classic mistake: the LED byte without the 0x00 prefix
    await rejectsWith(kb.write([0x02]), /report ID 2 on a device without report IDs \(prefix 0x00\)/);
    await rejectsWith(kb.write([0x00]), /0-byte output report/);
    await rejectsWith(kb.write([0x01, 0x02]), /report ID 1 on a device without report IDs/);
    await rejectsWith(kb.write([0x00, 0x02, 0x00]), /2-byte output report/);
  });
});

describe('EmulatedHidDevice: read and data events', () => {
  it('reads queued reports in order; undefined on timeout; 0 = no wait', async () => {
    const clock = new VirtualClock();
    const dev = scanner(clock);
    const reports = encodeScannedData(layout, { aim: ']Q1', data: new Uint8Array(200).fill(0x41) });
    for (const r of reports) dev.queueInputReport(r, 10);
    const got: Buffer[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await dev.read(100);
      if (r) got.push(r);
    }
    expect(got.every((b) => Buffer.isBuffer(b) && b.length === 64 && b[0] === 2)).toBe(true);
    expect(reassembleLabel(layout, got).data.length).toBe(200);
    expect(await dev.read(0)).toBeUndefined();
    const waiting = dev.read(50);
    clock.advance(50);
    expect(await waiting).toBeUndefined();
  });

  it('a pending read without timeout resolves with the next report', async () => {
    const dev = scanner();
    const pending = dev.read();
    const [report] = encodeScannedData(layout, {
      aim: ']E0',
      data: new TextEncoder().encode('4901234567894'),
    });
    dev.queueInputReport(report as Uint8Array);
    expect(await pending).toEqual(Buffer.from(report as Uint8Array));
  });

  it('non-blocking mode returns at once', async () => {
    const dev = scanner();
    await dev.setNonBlocking(true);
    expect(await dev.read()).toBeUndefined();
  });

  it('data events deliver every report; read is refused while they run; pause buffers', async () => {
    const dev = keyboard();
    const seen: Buffer[] = [];
    dev.on('data', (b: Buffer) => seen.push(b));
    const { reports } = encodeWedge('aA1\r', { layout: 'us' });
    for (const r of reports) dev.queueInputReport(r);
    await Promise.resolve();
    expect(seen).toHaveLength(8);
    expect(decodeWedgeReports(seen, { layout: 'us' }).text).toBe('aA1\r');
    await rejectsWith(dev.read(10), /read loop/);
    dev.pause();
    dev.queueInputReport(reports[0] as Uint8Array);
    await Promise.resolve();
    expect(seen).toHaveLength(8);
    expect(await dev.read(10)).toEqual(Buffer.from(reports[0] as Uint8Array));
    dev.queueInputReport(reports[1] as Uint8Array);
    dev.resume();
    await Promise.resolve();
    expect(seen).toHaveLength(9);
  });

  it('pacing on a wall-like clock: each report after its delay', async () => {
    const { clock, time } = pacedClock();
    const dev = keyboard(clock);
    const at: number[] = [];
    dev.on('data', () => at.push(time.now()));
    const { reports } = encodeWedge('ab', { layout: 'us' });
    for (const r of reports) dev.queueInputReport(r, 4);
    await Promise.resolve();
    expect(at).toEqual([]);
    for (let t = 0; t < 4; t++) {
      time.advance(4);
      await Promise.resolve();
    }
    expect(at).toEqual([4, 8, 12, 16]);
  });

  it('a full buffer drops new reports, as hidraw', async () => {
    const dev = keyboard();
    const r = new Uint8Array(8);
    for (let i = 0; i < INPUT_BUFFER_REPORTS + 5; i++) dev.queueInputReport(r);
    expect(dev.droppedInputReports).toBe(5);
  });

  it('the device side cannot queue undeclared reports', () => {
    const dev = scanner();
    expect(() => dev.queueInputReport(new Uint8Array(64))).toThrow(HidDeviceError);
    expect(() => dev.queueInputReport(Uint8Array.of(2, 0))).toThrow(HidDeviceError);
    expect(() => keyboard().queueInputReport(new Uint8Array(9))).toThrow(HidDeviceError);
  });
});

describe('EmulatedHidDevice: feature reports', () => {
  // prettier-ignore
  const FEATURE_DESCRIPTOR = Uint8Array.of(
    0x06, 0x00, 0xff,   // Usage Page (Vendor 0xFF00)
    0x09, 0x01,         // Usage (1)
    0xa1, 0x01,         // Collection (Application)
    0x85, 0x03,         // Report ID (3)
    0x15, 0x00,         // Logical Minimum (0)
    0x26, 0xff, 0x00,   // Logical Maximum (255)
    0x75, 0x08,         // Report Size (8)
    0x95, 0x04,         // Report Count (4)
    0x09, 0x02,         // Usage (2)
    0xb1, 0x02,         // Feature (Data, Variable, Absolute)
    0xc0,               // End Collection
  );

  it('set then get; unknown IDs and wrong lengths are errors', async () => {
    const set: Uint8Array[] = [];
    const dev = new EmulatedHidDevice({
      descriptor: FEATURE_DESCRIPTOR,
      info: { vendorId: 1, productId: 2 },
      clock: new VirtualClock(),
      handler: { setFeature: (r) => set.push(r) },
    });
    expect(await dev.getFeatureReport(3, 64)).toEqual(Buffer.of(3, 0, 0, 0, 0));
    expect(await dev.sendFeatureReport([3, 1, 2, 3, 4])).toBe(5);
    expect(set).toEqual([Uint8Array.of(3, 1, 2, 3, 4)]);
    expect(await dev.getFeatureReport(3, 5)).toEqual(Buffer.of(3, 1, 2, 3, 4));
    expect(await dev.getFeatureReport(3, 3)).toEqual(Buffer.of(3, 1, 2));
    await rejectsWith(dev.getFeatureReport(7, 5), /no feature report 7/);
    await rejectsWith(dev.getFeatureReport(3, 0), /length/);
    await rejectsWith(dev.sendFeatureReport([3, 1]), /feature report 3 has 5 bytes/);
    await rejectsWith(dev.sendFeatureReport([9, 1, 2, 3, 4]), /no feature report 9/);
  });

  it('a device-side getFeature answers; a device without feature reports refuses', async () => {
    const dev = new EmulatedHidDevice({
      descriptor: FEATURE_DESCRIPTOR,
      info: { vendorId: 1, productId: 2 },
      clock: new VirtualClock(),
      handler: { getFeature: (id) => Uint8Array.of(id, 9, 8, 7, 6) },
    });
    expect(await dev.getFeatureReport(3, 5)).toEqual(Buffer.of(3, 9, 8, 7, 6));
    await rejectsWith(scanner().getFeatureReport(1, 8), /no feature reports/);
  });
});

describe('EmulatedHidDevice: close and disconnect', () => {
  it('close fails pending reads and later calls; closing twice is fine', async () => {
    const dev = scanner();
    const pending = dev.read();
    await dev.close();
    await rejectsWith(pending, /closed/);
    await rejectsWith(dev.write([4, 1]), /Cannot write to hid device: device has been closed/);
    await rejectsWith(dev.read(1), /closed/);
    await rejectsWith(dev.getDeviceInfo(), /closed/);
    await dev.close();
    dev.queueInputReport(new Uint8Array(64).fill(2, 0, 1)); // ignored after close
  });

  it('disconnect emits error and fails pending reads', async () => {
    const dev = scanner();
    const errors: Error[] = [];
    dev.on('error', (e: Error) => errors.push(e));
    const pending = dev.read();
    dev.disconnect();
    await rejectsWith(pending, /could not read from HID device/);
    expect(errors).toHaveLength(1);
    await rejectsWith(dev.write([4, 1]), /could not read/);
    expect(() => keyboard().disconnect()).not.toThrow(); // no error listener: no crash
  });
});

describe('EmulatedHidDevice: arbitrary writes', () => {
  it('never fail with anything but HidDeviceError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 80 }),
        fc.integer({ min: -1, max: 300 }),
        async (bytes, id) => {
          for (const dev of [scanner(), keyboard()]) {
            for (const p of [
              dev.write(bytes),
              dev.sendFeatureReport(bytes),
              dev.getFeatureReport(id, bytes.length),
            ]) {
              try {
                await p;
              } catch (e) {
                expect(e).toBeInstanceOf(HidDeviceError);
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
