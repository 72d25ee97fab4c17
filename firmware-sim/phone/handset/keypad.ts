/**
 * The keypad and text entry. `Keypad` is where presses come in (the control API, scenarios, the handset's
 * own tests); `TextEntry` is the editor behind an input field: digits in numeric mode, multi-tap letters
 * in text mode. A multi-tap ends when another key is pressed or when `multiTapTimeoutMs` passes on the
 * injected clock without a press, as on a real phone.
 */
import type { Clock, TimerHandle } from '../../clock.js';
import type { InputField, InputMode } from './screen.js';
import type { DigitKey, Key, TextCase } from './keys.js';
import { isDigitKey, multiTapCycle } from './keys.js';

/** Input the handset cannot take (no field open, a character the field refuses, too long). */
export class HandsetInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandsetInputError';
  }
}

export type KeyListener = (key: Key) => void;

/** Key presses in order; the handset is its listener. */
export class Keypad {
  private readonly listeners: KeyListener[] = [];
  private count = 0;

  /** Number of presses since start (the control API reports it). */
  get presses(): number {
    return this.count;
  }

  onKey(listener: KeyListener): void {
    this.listeners.push(listener);
  }

  press(key: Key): void {
    this.count++;
    for (const l of [...this.listeners]) l(key);
  }

  pressAll(keys: readonly Key[]): void {
    for (const k of keys) this.press(k);
  }
}

/** How long a multi-tap waits for the same key again before its character is final. */
export const DEFAULT_MULTI_TAP_TIMEOUT_MS = 1000;

export interface TextEntryOptions {
  mode: InputMode;
  maxLength: number;
  masked?: boolean;
  initial?: string;
  textCase?: TextCase;
  multiTapTimeoutMs?: number;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export class TextEntry {
  private text: string;
  private textCase: TextCase;
  private tapKey: Key | undefined;
  private tapIndex = 0;
  private timer: TimerHandle | undefined;
  readonly mode: InputMode;
  readonly maxLength: number;
  readonly masked: boolean;
  private readonly timeoutMs: number;

  constructor(
    private readonly clock: Clock,
    options: TextEntryOptions,
    private readonly onChange: () => void = () => {},
  ) {
    this.mode = options.mode;
    this.maxLength = Math.max(1, Math.min(256, Math.trunc(options.maxLength) || 1));
    this.masked = options.masked ?? false;
    this.textCase = options.textCase ?? 'upper';
    this.timeoutMs = options.multiTapTimeoutMs ?? DEFAULT_MULTI_TAP_TIMEOUT_MS;
    const initial = options.initial ?? '';
    this.text = this.accepts(initial) ? initial.slice(0, this.maxLength) : '';
  }

  get value(): string {
    return this.text;
  }

  /** A multi-tap character is still open to change. */
  get pending(): boolean {
    return this.tapKey !== undefined;
  }

  get case(): TextCase {
    return this.textCase;
  }

  field(label: string): InputField {
    return {
      label,
      value: this.text,
      masked: this.masked,
      mode: this.mode,
      maxLength: this.maxLength,
      textCase: this.textCase,
      pending: this.pending,
    };
  }

  /** Edits the field with one key; false when the key means nothing to a field (the caller handles it). */
  key(key: Key): boolean {
    if (isDigitKey(key)) {
      if (this.mode === 'numeric') {
        this.commit(false);
        if (this.text.length < this.maxLength) this.text += key;
        this.onChange();
        return true;
      }
      this.multiTap(key);
      return true;
    }
    if (key === '#' && this.mode === 'text') {
      this.commit(false);
      this.textCase = this.textCase === 'upper' ? 'lower' : 'upper';
      this.onChange();
      return true;
    }
    if (key === 'back') {
      if (this.text.length === 0) return false;
      this.commit(false);
      this.text = this.text.slice(0, -1);
      this.onChange();
      return true;
    }
    if (key === 'right' && this.pending) {
      // Moving on ends the multi-tap, so the next press of the same key starts a new character.
      this.commit(true);
      return true;
    }
    return false;
  }

  /** Appends text as typed by a scenario; all or nothing. */
  enterText(text: string): void {
    const problem = this.refusal(text);
    if (problem) throw new HandsetInputError(problem);
    this.commit(false);
    this.text += text;
    this.onChange();
  }

  /** Why `text` cannot be appended, or undefined. */
  refusal(text: string): string | undefined {
    if (!this.accepts(text)) {
      return this.mode === 'numeric'
        ? 'this field takes digits only'
        : 'this field takes printable ASCII characters only';
    }
    if (this.text.length + text.length > this.maxLength) {
      return `too long: the field holds at most ${this.maxLength} characters (${this.text.length} entered)`;
    }
    return undefined;
  }

  clear(): void {
    this.commit(false);
    this.text = '';
    this.onChange();
  }

  /** Ends a multi-tap in progress (its character stays). */
  commit(notify = true): void {
    if (this.tapKey === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.tapKey = undefined;
    this.tapIndex = 0;
    if (notify) this.onChange();
  }

  /** Stops the multi-tap timer (the field is closed). */
  dispose(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.tapKey = undefined;
  }

  private accepts(text: string): boolean {
    return this.mode === 'numeric' ? /^[0-9]*$/.test(text) : PRINTABLE_ASCII.test(text);
  }

  private multiTap(key: DigitKey): void {
    const cycle = multiTapCycle(key, this.textCase);
    if (this.tapKey === key) {
      this.tapIndex = (this.tapIndex + 1) % cycle.length;
      this.text = this.text.slice(0, -1) + cycle[this.tapIndex];
    } else {
      this.commit(false);
      if (this.text.length >= this.maxLength) {
        this.onChange();
        return;
      }
      this.tapKey = key;
      this.tapIndex = 0;
      this.text += cycle[0];
    }
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.commit(true);
    }, this.timeoutMs);
    this.onChange();
  }
}
