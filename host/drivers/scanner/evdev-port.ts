/**
 * A keyboard-wedge scanner as the operating system sees it: a keyboard. Operating systems own keyboards
 * (node-hid cannot open one), so a real wedge scanner's keystrokes are read from Linux's event interface
 * (`evdev:/dev/input/by-id/usb-…-event-kbd`) and turned back into boot-keyboard reports, which the wedge
 * link reads exactly as it reads a HID wedge device.
 *
 * Each read of an event device returns whole `struct input_event` records (linux/input.h; 24 bytes on
 * 64-bit Linux: struct timeval, u16 type, u16 code, s32 value). EV_KEY values are 1 press, 0 release,
 * 2 autorepeat (ignored: a scanner never holds a key). Key codes are Linux's (input-event-codes.h), mapped
 * back to Keyboard/Keypad page usages as the kernel's hid-input table maps them forward.
 *
 * The keystrokes still reach whatever has the keyboard focus: reading an event device does not grab it.
 * Reading needs permission on the device node (root, or the `input` group).
 */
import { createReadStream, promises as fsp, type ReadStream } from 'node:fs';
import { BOOT_KEYBOARD_REPORT_BYTES } from '../../../firmware-sim/scanner/wedge.js';
import { describeError, type PortConnection, type PortHandlers, type ScannerPort } from './port.js';
import { UposError, UposException } from './upos.js';

export const INPUT_EVENT_BYTES = 24;
const EV_KEY = 1;

/** Linux key code → HID Keyboard/Keypad usage. */
const KEY_TO_USAGE = new Map<number, number>();
{
  // KEY_1 … KEY_0 (2–11) → 0x1E–0x27
  for (let code = 2; code <= 11; code++) KEY_TO_USAGE.set(code, 0x1e + code - 2);
  // Letter keys in Linux's code order (row by row, QWERTY positions) and their usages (a = 0x04).
  const rows: [number, string][] = [
    [16, 'qwertyuiop'],
    [30, 'asdfghjkl'],
    [44, 'zxcvbnm'],
  ];
  for (const [first, letters] of rows) {
    [...letters].forEach((ch, i) => KEY_TO_USAGE.set(first + i, 0x04 + ch.charCodeAt(0) - 0x61));
  }
  const others: [number, number][] = [
    [1, 0x29], // ESC
    [12, 0x2d], // MINUS
    [13, 0x2e], // EQUAL
    [14, 0x2a], // BACKSPACE
    [15, 0x2b], // TAB
    [26, 0x2f], // LEFTBRACE
    [27, 0x30], // RIGHTBRACE
    [28, 0x28], // ENTER
    [39, 0x33], // SEMICOLON
    [40, 0x34], // APOSTROPHE
    [41, 0x35], // GRAVE
    [43, 0x31], // BACKSLASH (the kernel maps Non-US # 0x32 here too)
    [51, 0x36], // COMMA
    [52, 0x37], // DOT
    [53, 0x38], // SLASH
    [57, 0x2c], // SPACE
    [58, 0x39], // CAPSLOCK
    [86, 0x64], // 102ND: Non-US \ and |
    [89, 0x87], // RO (International1)
    [96, 0x58], // KPENTER
    [124, 0x89], // YEN (International3)
  ];
  for (const [code, usage] of others) KEY_TO_USAGE.set(code, usage);
}

/** Modifier keys → bits of the boot report's first byte. */
const MODIFIER_BITS = new Map<number, number>([
  [29, 0x01], // LEFTCTRL
  [42, 0x02], // LEFTSHIFT
  [56, 0x04], // LEFTALT
  [125, 0x08], // LEFTMETA
  [97, 0x10], // RIGHTCTRL
  [54, 0x20], // RIGHTSHIFT
  [100, 0x40], // RIGHTALT
  [126, 0x80], // RIGHTMETA
]);

export interface InputEvent {
  type: number;
  code: number;
  value: number;
}

/** One input_event record (64-bit layout). */
export function encodeInputEvent(e: InputEvent, timeUs = 0): Buffer {
  const b = Buffer.alloc(INPUT_EVENT_BYTES);
  b.writeBigInt64LE(BigInt(Math.floor(timeUs / 1e6)), 0);
  b.writeBigInt64LE(BigInt(Math.floor(timeUs % 1e6)), 8);
  b.writeUInt16LE(e.type, 16);
  b.writeUInt16LE(e.code, 18);
  b.writeInt32LE(e.value, 20);
  return b;
}

/** The key code of a usage, for writing event streams (tests, recorders). */
export function keyCodeOfUsage(usage: number): number | undefined {
  for (const [code, u] of KEY_TO_USAGE) if (u === usage) return code;
  return undefined;
}

export function keyCodeOfModifierBit(bit: number): number | undefined {
  for (const [code, b] of MODIFIER_BITS) if (b === bit) return code;
  return undefined;
}

/**
 * Turns key events into the boot-keyboard reports a USB keyboard would have sent: the modifier byte and up
 * to six keys down (more is the Error Roll-Over report, as a keyboard sends it).
 */
export class KeyEventReports {
  private pending = Buffer.alloc(0);
  private modifiers = 0;
  private readonly down: number[] = [];
  /** Records with a key the table does not know (ignored, as an unknown key types nothing). */
  unknownKeys = 0;

  /** Bytes read from the event device → reports, one per key change. Partial records wait for the rest. */
  push(chunk: Buffer): Uint8Array[] {
    const bytes = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const whole = bytes.length - (bytes.length % INPUT_EVENT_BYTES);
    this.pending = Buffer.from(bytes.subarray(whole));
    const reports: Uint8Array[] = [];
    for (let at = 0; at < whole; at += INPUT_EVENT_BYTES) {
      const type = bytes.readUInt16LE(at + 16);
      const code = bytes.readUInt16LE(at + 18);
      const value = bytes.readInt32LE(at + 20);
      if (type !== EV_KEY || (value !== 0 && value !== 1)) continue;
      const report = this.key(code, value === 1);
      if (report) reports.push(report);
    }
    return reports;
  }

  private key(code: number, pressed: boolean): Uint8Array | undefined {
    const bit = MODIFIER_BITS.get(code);
    if (bit !== undefined) {
      this.modifiers = pressed ? this.modifiers | bit : this.modifiers & ~bit;
      return this.report();
    }
    const usage = KEY_TO_USAGE.get(code);
    if (usage === undefined) {
      this.unknownKeys++;
      return undefined;
    }
    const i = this.down.indexOf(usage);
    if (pressed && i < 0) this.down.push(usage);
    else if (!pressed && i >= 0) this.down.splice(i, 1);
    else return undefined;
    return this.report();
  }

  private report(): Uint8Array {
    const r = new Uint8Array(BOOT_KEYBOARD_REPORT_BYTES);
    r[0] = this.modifiers;
    if (this.down.length > 6) r.fill(0x01, 2);
    else r.set(this.down, 2);
    return r;
  }
}

export class EvdevScannerPort implements ScannerPort {
  readonly kind = 'keys' as const;
  /** The event device path, without the `evdev:` scheme. */
  private readonly file: string;

  constructor(readonly path: string) {
    this.file = path.startsWith('evdev:') ? path.slice('evdev:'.length) : path;
  }

  async check(): Promise<void> {
    let stat;
    try {
      stat = await fsp.stat(this.file);
    } catch (err) {
      throw new UposException(UposError.E_NOEXIST, `${this.file}: ${describeError(err)}`, 0, { cause: err });
    }
    // A FIFO carries recorded input_event records as the device would (a replay, or a test).
    if (!stat.isCharacterDevice() && !stat.isFIFO()) {
      throw new UposException(UposError.E_NOEXIST, `${this.file} is not an input event device`);
    }
  }

  connect(handlers: PortHandlers): Promise<PortConnection> {
    const keys = new KeyEventReports();
    let stream: ReadStream;
    let gone = false;
    return new Promise<PortConnection>((resolve, reject) => {
      stream = createReadStream(this.file, { highWaterMark: INPUT_EVENT_BYTES * 64 });
      const lose = (err: unknown): void => {
        if (gone) return;
        gone = true;
        stream.destroy();
        handlers.lost(err);
      };
      stream.once('error', (err) => {
        if (!opened) reject(err);
        else lose(err);
      });
      let opened = false;
      stream.once('open', () => {
        opened = true;
        stream.on('data', (chunk) => {
          if (gone) return;
          for (const report of keys.push(chunk as Buffer)) handlers.data(Buffer.from(report));
        });
        stream.on('end', () => lose(new Error('end of input events')));
        resolve({
          // The operating system drives a keyboard's LEDs; nothing is written to an event device.
          write: async () => {},
          close: async () => {
            gone = true;
            stream.destroy();
          },
        });
      });
    });
  }
}
