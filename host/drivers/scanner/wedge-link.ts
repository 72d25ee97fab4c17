/**
 * The Scanner over a keyboard wedge: boot-keyboard reports (from a HID keyboard device, or made from key
 * events) typed into text with the host's keyboard layout and Caps Lock, then split into scanner bursts
 * and human typing by timing.
 *
 * A run of keystrokes ends at Enter, Tab or LF (the scanner's suffix) or after `endSilenceMs` without a
 * key. A run is a label when it has at least `minLength` characters and the median time between its
 * keystrokes is at most `maxInterKeyMs` — a scanner types at a steady few milliseconds a key (up to ~100 ms
 * for slow models), a person far slower and unevenly. The median keeps a burst a burst when the odd key
 * comes late (a busy host). Runs that are typing are dropped (trace), never delivered.
 *
 * With a HID keyboard the driver is the host: at connect it writes the LED output report with the host's
 * Caps Lock, as an operating system does after enumeration, so the scanner can compensate.
 */
import type { TimerHandle } from '../../../firmware-sim/clock.js';
import type { KeyboardLayoutId } from '../../../firmware-sim/scanner/keyboard-layouts.js';
import { WedgeError, WedgeKeyDecoder, encodeLedReport } from '../../../firmware-sim/scanner/wedge.js';
import { decodeSerialLabel, type SymbologyIdMode } from './label.js';
import type { LinkContext, ScannerLink } from './link.js';
import type { PortConnection } from './port.js';
import { UposError } from './upos.js';

export interface WedgeOptions {
  /** The host's keyboard layout (how it reads key positions). Default 'us'. */
  layout?: KeyboardLayoutId;
  /** The host's Caps Lock. Default false. */
  capsLock?: boolean;
  /** Largest median gap between keystrokes of a scanner burst (ms). Default 50. */
  maxInterKeyMs?: number;
  /** Silence that ends a run without a suffix (ms). Default 300. */
  endSilenceMs?: number;
  /** Shortest label (characters). Default 4. */
  minLength?: number;
}

export const WEDGE_DEFAULTS = { layout: 'us', maxInterKeyMs: 50, endSilenceMs: 300, minLength: 4 } as const;

const TERMINATORS = new Set(['\r', '\n', '\t']);

export interface WedgeLinkOptions extends WedgeOptions {
  prefix: Uint8Array;
  symbologyId: SymbologyIdMode;
  maxLabelLength: number;
  /** Whether the port is a HID keyboard the driver may write the LED report to. */
  writesLeds: boolean;
}

export class WedgeLink implements ScannerLink {
  private readonly decoder: WedgeKeyDecoder;
  private text = '';
  private times: number[] = [];
  private silence: TimerHandle | undefined;
  private readonly maxInterKeyMs: number;
  private readonly endSilenceMs: number;
  private readonly minLength: number;

  constructor(
    private readonly ctx: LinkContext,
    private readonly options: WedgeLinkOptions,
  ) {
    this.decoder = new WedgeKeyDecoder({
      layout: options.layout ?? WEDGE_DEFAULTS.layout,
      capsLock: options.capsLock ?? false,
    });
    this.maxInterKeyMs = options.maxInterKeyMs ?? WEDGE_DEFAULTS.maxInterKeyMs;
    this.endSilenceMs = options.endSilenceMs ?? WEDGE_DEFAULTS.endSilenceMs;
    this.minLength = options.minLength ?? WEDGE_DEFAULTS.minLength;
  }

  connected(conn: PortConnection): void {
    this.decoder.reset();
    if (!this.options.writesLeds) return;
    // Boot keyboards have no report IDs: node-hid's first byte is then 0.
    const leds = encodeLedReport({ capsLock: this.options.capsLock ?? false });
    conn
      .write(Uint8Array.of(0, ...leds))
      .catch((err: unknown) => this.ctx.trace(`LED report: ${String(err)}`));
  }

  receive(report: Buffer): void {
    let typed: string;
    try {
      typed = this.decoder.push(report);
    } catch (err) {
      if (err instanceof WedgeError) {
        this.ctx.inputError(UposError.E_FAILURE, 0, `keyboard report: ${err.message}`);
        return;
      }
      throw err;
    }
    if (!typed) return;
    const now = this.ctx.clock.now();
    for (const ch of typed) {
      if (TERMINATORS.has(ch)) {
        this.endRun('suffix');
        continue;
      }
      this.text += ch;
      this.times.push(now);
      if (this.text.length > this.options.maxLabelLength) {
        this.ctx.inputError(
          UposError.E_FAILURE,
          0,
          `keystroke run longer than ${this.options.maxLabelLength} characters`,
        );
        this.clear();
        return;
      }
    }
    this.armSilence();
  }

  async configure(): Promise<void> {}
  async enableScanning(): Promise<void> {}
  async disableScanning(): Promise<void> {}

  reset(): void {
    this.clear();
    this.decoder.reset();
  }

  dispose(): void {
    this.clear();
  }

  private armSilence(): void {
    this.ctx.clock.clearTimeout(this.silence);
    this.silence = this.text
      ? this.ctx.clock.setTimeout(() => this.endRun('silence'), this.endSilenceMs)
      : undefined;
  }

  private endRun(why: 'suffix' | 'silence'): void {
    const text = this.text;
    const times = this.times;
    this.clear();
    if (!text) return;
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const median = gaps.length ? gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)]! : 0;
    if (text.length < this.minLength || median > this.maxInterKeyMs) {
      this.ctx.trace(
        `typing ignored: ${text.length} character(s), median ${median.toFixed(1)} ms between keys (${why})`,
      );
      return;
    }
    // Characters the scanner typed from its data bytes are Latin-1; anything else (a mismatched layout's
    // €, say) is kept as UTF-8 rather than mangled.
    const frame = Buffer.from(text, [...text].every((ch) => ch.charCodeAt(0) <= 0xff) ? 'latin1' : 'utf8');
    this.ctx.label(frame, decodeSerialLabel(frame, this.options.prefix, this.options.symbologyId));
  }

  private clear(): void {
    this.ctx.clock.clearTimeout(this.silence);
    this.silence = undefined;
    this.text = '';
    this.times = [];
  }
}
