/**
 * A real keyboard-wedge scanner reaches the host as key events (Linux evdev). Without /dev/uinput here no
 * real event device can be made, so a FIFO carries the same `struct input_event` records: a test double
 * for the device node only — the driver, the record parser and the wedge link are the real ones.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWedge } from '../../../../firmware-sim/scanner/wedge.js';
import {
  INPUT_EVENT_BYTES,
  KeyEventReports,
  encodeInputEvent,
  keyCodeOfModifierBit,
  keyCodeOfUsage,
} from '../../../../host/drivers/scanner/evdev-port.js';
import { Scanner, ScanDataType } from '../../../../host/drivers/scanner/index.js';

const EV_KEY = 1;
const EV_SYN = 0;
const KEY_A = 30;
const KEY_LEFTSHIFT = 42;

const press = (code: number): Buffer => encodeInputEvent({ type: EV_KEY, code, value: 1 });
const release = (code: number): Buffer => encodeInputEvent({ type: EV_KEY, code, value: 0 });
const syn = (): Buffer => encodeInputEvent({ type: EV_SYN, code: 0, value: 0 });

/** What a keyboard driver writes for the boot reports a wedge scanner sends (press, SYN, release, SYN). */
function eventsFor(text: string): Buffer {
  const out: Buffer[] = [];
  const { reports } = encodeWedge(text, { layout: 'us' });
  for (const r of reports) {
    const usage = r[2]!;
    if (usage === 0) continue;
    const mods = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80].filter((b) => (r[0]! & b) !== 0);
    const modCodes = mods.map((b) => keyCodeOfModifierBit(b)!);
    const code = keyCodeOfUsage(usage);
    if (code === undefined) throw new Error(`no key code for usage ${usage}`);
    out.push(...modCodes.map(press), press(code), syn(), release(code), ...modCodes.map(release), syn());
  }
  return Buffer.concat(out);
}

describe('key events → boot keyboard reports (linux/input-event-codes.h, HID Usage Tables §10)', () => {
  it('turns KEY_A with and without Shift into usage 0x04 reports', () => {
    const k = new KeyEventReports();
    const reports = k.push(
      Buffer.concat([press(KEY_LEFTSHIFT), press(KEY_A), syn(), release(KEY_A), release(KEY_LEFTSHIFT)]),
    );
    expect(reports.map((r) => Buffer.from(r).toString('hex'))).toEqual([
      '0200000000000000',
      '0200040000000000',
      '0200000000000000',
      '0000000000000000',
    ]);
  });

  it('waits for the rest of a record split across reads', () => {
    const k = new KeyEventReports();
    const bytes = press(KEY_A);
    expect(k.push(bytes.subarray(0, 10))).toEqual([]);
    expect(k.push(bytes.subarray(10)).map((r) => r[2])).toEqual([0x04]);
  });

  it('sends the Error Roll-Over report when a seventh key is down, and ignores autorepeat', () => {
    const k = new KeyEventReports();
    const codes = [30, 31, 32, 33, 34, 35, 36];
    const reports = k.push(
      Buffer.concat([...codes.map(press), encodeInputEvent({ type: EV_KEY, code: 36, value: 2 })]),
    );
    expect(reports).toHaveLength(7);
    expect(Buffer.from(reports[6]!).toString('hex')).toBe('0000010101010101');
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: INPUT_EVENT_BYTES * 8 }), (bytes) => {
        const reports = new KeyEventReports().push(Buffer.from(bytes));
        for (const r of reports) expect(r).toHaveLength(8);
      }),
      { numRuns: 500 },
    );
  });
});

describe('Scanner over key events (a FIFO stands in for /dev/input/eventN: no uinput on this machine)', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads a wedge scanner burst from input_event records into a DataEvent', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-evdev-'));
    const fifo = path.join(dir, 'event-kbd');
    execFileSync('mkfifo', [fifo]);
    const scanner = new Scanner({ path: `evdev:${fifo}`, commandSet: 'wedge' });
    try {
      await scanner.open();
      // A FIFO's open waits for both ends: open them together.
      const [writer] = await Promise.all([open(fifo, 'w'), scanner.claim(1000)]);
      await scanner.setDeviceEnabled(true);
      scanner.decodeData = true;
      scanner.dataEventEnabled = true;
      const got = new Promise<void>((resolve) => scanner.once('dataEvent', () => resolve()));
      await writer.write(eventsFor(']E04006381333931\r'));
      await got;
      expect(scanner.scanDataLabel.toString('latin1')).toBe('4006381333931');
      expect(scanner.scanDataType).toBe(ScanDataType.EAN13);
      await writer.close();
    } finally {
      await scanner.close();
    }
  });
});
