/**
 * USB HID keyboard wedge: a scanner that types its data as a boot keyboard (HID 1.11 Appendix B.1).
 *
 * Input report, 8 bytes: `[modifiers][reserved 00][k1..k6]`. Each character is a key-down report followed
 * by an all-zero release report — without the release, "aa" reads "a" (the host sees no new key press).
 * Output report, 1 byte: the host's LEDs (Num, Caps, Scroll, Compose, Kana in bits 0–4). The scanner reads
 * Caps Lock from it and inverts Shift on the keys Caps Lock affects, so the host still reads the right case.
 *
 * The scanner sends key *positions* for its configured layout (keyboard-layouts.ts); `decodeWedgeReports` is
 * the host side, which reads positions with the host's layout: a mismatch yields other characters.
 * Pacing is data (milliseconds between reports), never a timer: the device shell schedules delivery.
 */
import {
  Modifier,
  capsLockApplies,
  keyboardLayout,
  strokeTable,
  type KeyboardLayoutId,
} from './keyboard-layouts.js';

export const BOOT_KEYBOARD_REPORT_BYTES = 8;
const ERROR_ROLL_OVER = 0x01;

export class WedgeError extends Error {
  override readonly name = 'WedgeError';
}

export interface KeyboardLeds {
  numLock: boolean;
  capsLock: boolean;
  scrollLock: boolean;
  compose: boolean;
  kana: boolean;
}

/** Reads the boot keyboard's LED output report (1 byte; no report ID). */
export function parseLedReport(report: Uint8Array): KeyboardLeds {
  if (report.length !== 1) throw new WedgeError(`an LED output report has 1 byte, not ${report.length}`);
  const b = report[0] as number;
  return {
    numLock: (b & 0x01) !== 0,
    capsLock: (b & 0x02) !== 0,
    scrollLock: (b & 0x04) !== 0,
    compose: (b & 0x08) !== 0,
    kana: (b & 0x10) !== 0,
  };
}

export function encodeLedReport(leds: Partial<KeyboardLeds>): Uint8Array {
  return Uint8Array.of(
    (leds.numLock ? 0x01 : 0) |
      (leds.capsLock ? 0x02 : 0) |
      (leds.scrollLock ? 0x04 : 0) |
      (leds.compose ? 0x08 : 0) |
      (leds.kana ? 0x10 : 0),
  );
}

export interface WedgeEncodeOptions {
  /** The scanner's keyboard country. */
  layout: KeyboardLayoutId;
  /** The host's Caps Lock, from its last LED output report. */
  capsLock?: boolean;
  /** Invert Shift on Caps-Lock-affected keys while Caps Lock is on (default true, as scanners ship). */
  compensateCapsLock?: boolean;
}

export interface WedgeEncoding {
  /** Key-down and release reports, alternating, 8 bytes each. */
  reports: Uint8Array[];
  /** Characters the layout cannot type, in order (each skipped). */
  skipped: string[];
}

function keyReport(modifiers: number, usage: number): Uint8Array {
  const r = new Uint8Array(BOOT_KEYBOARD_REPORT_BYTES);
  r[0] = modifiers;
  r[2] = usage;
  return r;
}

/** Scanner side: text → boot keyboard reports for the scanner's layout. */
export function encodeWedge(text: string, options: WedgeEncodeOptions): WedgeEncoding {
  const table = strokeTable(options.layout);
  const keys = keyboardLayout(options.layout).keys;
  const invert = (options.capsLock ?? false) && (options.compensateCapsLock ?? true);
  const reports: Uint8Array[] = [];
  const skipped: string[] = [];
  for (const ch of text) {
    const stroke = table.get(ch);
    if (!stroke) {
      skipped.push(ch);
      continue;
    }
    let modifiers = stroke.modifiers;
    const levels = keys.get(stroke.usage);
    if (invert && (modifiers & Modifier.LEFT_CTRL) === 0 && levels && capsLockApplies(levels)) {
      modifiers ^= Modifier.LEFT_SHIFT;
    }
    reports.push(keyReport(modifiers, stroke.usage), new Uint8Array(BOOT_KEYBOARD_REPORT_BYTES));
  }
  return { reports, skipped };
}

/** Encodes bytes as Latin-1 characters (how a scanner's data bytes reach the keyboard table). */
export function encodeWedgeBytes(data: Uint8Array, options: WedgeEncodeOptions): WedgeEncoding {
  let text = '';
  for (const b of data) text += String.fromCharCode(b);
  return encodeWedge(text, options);
}

export interface WedgeDecodeOptions {
  /** The host's keyboard layout. */
  layout: KeyboardLayoutId;
  /** The host's Caps Lock state. */
  capsLock?: boolean;
}

export interface WedgeDecoding {
  text: string;
  /** Key presses the host layout maps to no character (dead keys, unmapped keys). */
  unmapped: number;
  /** Reports with the Error Roll-Over code, ignored as the host does. */
  rollOver: number;
}

/** Control characters a host produces for Ctrl+key, by the character the key types (Windows rule). */
function controlFor(ch: string): string | undefined {
  const c = ch.toLowerCase().charCodeAt(0);
  if (ch.length === 1 && c >= 0x61 && c <= 0x7a) return String.fromCharCode(c - 0x60);
  return undefined;
}

/**
 * Host side, one report at a time: what a keyboard driver does with boot reports. A key counts when it
 * appears in a report and was not down in the previous one. Malformed reports (not 8 bytes) are a
 * `WedgeError` and leave the state as it was.
 */
export class WedgeKeyDecoder {
  private readonly layout: ReturnType<typeof keyboardLayout>;
  private readonly controlByUsage = new Map<number, number>();
  private down = new Set<number>();
  /** The host's Caps Lock. */
  capsLock: boolean;
  unmapped = 0;
  rollOver = 0;

  constructor(options: WedgeDecodeOptions) {
    this.layout = keyboardLayout(options.layout);
    for (const [code, stroke] of this.layout.controlKeys) this.controlByUsage.set(stroke.usage, code);
    this.capsLock = options.capsLock ?? false;
  }

  /** The characters this report types ('' for a release or a key that types nothing). */
  push(report: Uint8Array): string {
    if (report.length !== BOOT_KEYBOARD_REPORT_BYTES) {
      throw new WedgeError(`a boot keyboard report has 8 bytes, not ${report.length}`);
    }
    const keys = report.subarray(2);
    if (keys.includes(ERROR_ROLL_OVER)) {
      // The host keeps the previous key state on a phantom-state report.
      this.rollOver++;
      return '';
    }
    const modifiers = report[0] as number;
    const now = new Set<number>();
    for (const k of keys) if (k !== 0) now.add(k);
    const ctrl = (modifiers & (Modifier.LEFT_CTRL | Modifier.RIGHT_CTRL)) !== 0;
    const alt = (modifiers & Modifier.LEFT_ALT) !== 0;
    const altGr = (modifiers & Modifier.RIGHT_ALT) !== 0 || (ctrl && alt);
    const shift = (modifiers & (Modifier.LEFT_SHIFT | Modifier.RIGHT_SHIFT)) !== 0;
    let text = '';
    for (const usage of now) {
      if (this.down.has(usage)) continue;
      const fixed = FIXED_KEYS.get(usage);
      if (fixed !== undefined) {
        text += fixed;
        continue;
      }
      const levels = this.layout.keys.get(usage);
      if (ctrl && !altGr) {
        const code = this.controlByUsage.get(usage);
        const control = code !== undefined ? String.fromCharCode(code) : levels && controlFor(levels[0]);
        if (control) text += control;
        else this.unmapped++;
        continue;
      }
      if (!levels) {
        this.unmapped++;
        continue;
      }
      const shifted = this.capsLock && capsLockApplies(levels) ? !shift : shift;
      const ch = levels[(altGr ? 2 : 0) + (shifted ? 1 : 0)] ?? '';
      if (ch) text += ch;
      else this.unmapped++;
    }
    this.down = now;
    return text;
  }

  /** Forget keys held (a new device, or input lost). */
  reset(): void {
    this.down = new Set();
  }
}

/** Host side: boot keyboard reports → text, with the host's layout (see `WedgeKeyDecoder`). */
export function decodeWedgeReports(
  reports: Iterable<Uint8Array>,
  options: WedgeDecodeOptions,
): WedgeDecoding {
  const decoder = new WedgeKeyDecoder(options);
  let text = '';
  for (const report of reports) text += decoder.push(report);
  return { text, unmapped: decoder.unmapped, rollOver: decoder.rollOver };
}

const FIXED_KEYS: ReadonlyMap<number, string> = new Map([
  [0x28, '\r'],
  [0x2b, '\t'],
  [0x2a, '\b'],
  [0x29, '\u001b'],
]);

/** Inter-key pacing of a wedge scanner, as data for the device shell. */
export interface WedgePacing {
  /** From one key-down to the next (ms). */
  interKeyMs: number;
  /** From a key-down to its release (ms); at most interKeyMs. */
  keyDownMs: number;
}

/** Typical pacings (PROTOCOLS.md): Honeywell ~8–10 ms a key, some Zebra models 80–100 ms. */
export const WEDGE_PACING = {
  honeywell: { interKeyMs: 8, keyDownMs: 4 },
  'zebra-slow': { interKeyMs: 80, keyDownMs: 40 },
  /** As fast as USB full-speed polling at 1 ms allows. */
  fastest: { interKeyMs: 2, keyDownMs: 1 },
} as const satisfies Record<string, WedgePacing>;

/** Time offsets (ms from the first report) for alternating key-down/release reports. */
export function wedgeSchedule(reportCount: number, pacing: WedgePacing): number[] {
  const keyDown = Math.min(pacing.keyDownMs, pacing.interKeyMs);
  return Array.from({ length: reportCount }, (_, i) =>
    i % 2 === 0 ? (i / 2) * pacing.interKeyMs : ((i - 1) / 2) * pacing.interKeyMs + keyDown,
  );
}
