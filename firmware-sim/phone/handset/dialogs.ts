/**
 * The three prompts an application (or the handset itself) puts on the screen and waits on: a question
 * with an input field, a list to choose from, and a yes/no confirmation with soft-key labels. A dialog
 * takes keys while it is open; the control API may also answer it directly (text, an index, an answer).
 * Each resolves its promise once; cancelling (Back on an empty field or a list, End, the application
 * stopping) rejects it with `PromptCancelledError`.
 */
import type { Clock } from '../../clock.js';
import type { Key } from './keys.js';
import { isDigitKey } from './keys.js';
import { HandsetInputError, TextEntry } from './keypad.js';
import type { Screen } from './screen.js';

export class PromptCancelledError extends Error {
  constructor(reason: string) {
    super(`prompt cancelled: ${reason}`);
    this.name = 'PromptCancelledError';
  }
}

export interface AskOptions {
  /** Show '*' for every character (passwords, PINs). */
  masked?: boolean;
  /** Digits only (PINs, amounts); default text with multi-tap. */
  numeric?: boolean;
  /** Default 32. */
  maxLength?: number;
  initial?: string;
  /** Screen title; default the question. */
  title?: string;
  /** Letter case multi-tap starts with; default upper. */
  textCase?: 'lower' | 'upper';
}

export interface ConfirmSoftKeys {
  /** Left soft key (and OK): resolves true. */
  yes: string;
  /** Right soft key (and Back): resolves false. */
  no: string;
}

export type DialogKind = 'ask' | 'choose' | 'confirm';

export interface Dialog {
  readonly kind: DialogKind;
  readonly open: boolean;
  key(key: Key): void;
  /** Types text into the field (ask only). */
  enterText(text: string): void;
  /** Picks item `index` (0-based; choose only). */
  choose(index: number): void;
  /** Answers at once: the field's whole text (ask), an item's text (choose), a soft-key label or yes/no. */
  answer(text: string): void;
  cancel(reason: string): void;
}

/** Where a dialog delivers its outcome (a promise's resolve/reject, or the handset's own callbacks). */
export interface Settle<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

abstract class BaseDialog<T> implements Dialog {
  abstract readonly kind: DialogKind;
  private isOpen = true;
  constructor(
    protected readonly screen: Screen,
    private readonly settle: Settle<T>,
    private readonly onClose: () => void,
  ) {}

  get open(): boolean {
    return this.isOpen;
  }

  abstract key(key: Key): void;

  enterText(_text: string): void {
    throw new HandsetInputError(`the screen shows a ${this.kind} prompt, not an input field`);
  }

  choose(_index: number): void {
    throw new HandsetInputError(`the screen shows a ${this.kind} prompt, not a list`);
  }

  abstract answer(text: string): void;

  cancel(reason: string): void {
    if (!this.close()) return;
    this.settle.reject(new PromptCancelledError(reason));
  }

  protected finish(value: T): void {
    if (!this.close()) return;
    this.settle.resolve(value);
  }

  protected close(): boolean {
    if (!this.isOpen) return false;
    this.isOpen = false;
    this.dispose();
    this.onClose();
    return true;
  }

  protected dispose(): void {}
}

export class AskDialog extends BaseDialog<string> {
  readonly kind = 'ask';
  private readonly entry: TextEntry;
  private readonly title: string;

  constructor(
    screen: Screen,
    clock: Clock,
    private readonly question: string,
    options: AskOptions,
    multiTapTimeoutMs: number,
    settle: Settle<string>,
    onClose: () => void,
  ) {
    super(screen, settle, onClose);
    this.entry = new TextEntry(
      clock,
      {
        mode: options.numeric ? 'numeric' : 'text',
        maxLength: options.maxLength ?? 32,
        masked: options.masked ?? false,
        ...(options.initial !== undefined ? { initial: options.initial } : {}),
        textCase: options.textCase ?? 'upper',
        multiTapTimeoutMs,
      },
      () => {
        if (this.open) this.redraw(false);
      },
    );
    this.title = options.title ?? question;
    this.redraw(true);
  }

  /** The field's current text (for the code that asked; the screen JSON masks it). */
  get value(): string {
    return this.entry.value;
  }

  private redraw(full: boolean): void {
    const content = {
      input: this.entry.field(this.question),
      softKeys: { left: 'OK', right: this.entry.value.length === 0 ? 'Back' : 'Clear' },
    };
    if (full) this.screen.show({ title: this.title, lines: [], ...content });
    else this.screen.update(content);
  }

  key(key: Key): void {
    if (key === 'ok' || key === 'soft-left') {
      this.entry.commit(false);
      this.finish(this.entry.value);
      return;
    }
    if (key === 'soft-right') {
      if (!this.entry.key('back')) this.cancel('back');
      return;
    }
    if (this.entry.key(key)) return;
    if (key === 'back') this.cancel('back');
  }

  override enterText(text: string): void {
    this.entry.enterText(text);
  }

  answer(text: string): void {
    const saved = this.entry.value;
    this.entry.clear();
    const problem = this.entry.refusal(text);
    if (problem) {
      this.entry.enterText(saved);
      throw new HandsetInputError(problem);
    }
    this.entry.enterText(text);
    this.finish(this.entry.value);
  }

  protected override dispose(): void {
    this.entry.dispose();
  }
}

export class ChooseDialog extends BaseDialog<number> {
  readonly kind = 'choose';
  private selected = 0;

  constructor(
    screen: Screen,
    title: string,
    private readonly items: readonly string[],
    settle: Settle<number>,
    onClose: () => void,
  ) {
    super(screen, settle, onClose);
    screen.show({
      title,
      choices: { items: [...items], selected: 0 },
      softKeys: { left: 'Select', right: 'Back' },
    });
  }

  key(key: Key): void {
    const n = this.items.length;
    if (key === 'up' || key === 'down') {
      if (n === 0) return;
      this.selected = (this.selected + (key === 'up' ? n - 1 : 1)) % n;
      this.screen.update({ choices: { items: [...this.items], selected: this.selected } });
    } else if (key === 'ok' || key === 'soft-left') {
      if (n > 0) this.finish(this.selected);
    } else if (key === 'back' || key === 'soft-right') {
      this.cancel('back');
    } else if (isDigitKey(key) && key !== '0' && Number(key) <= n) {
      // The number printed before an item picks it directly.
      this.finish(Number(key) - 1);
    }
  }

  override choose(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.items.length) {
      throw new HandsetInputError(`no choice ${index}: the list has items 0–${this.items.length - 1}`);
    }
    this.finish(index);
  }

  answer(text: string): void {
    const i = this.items.findIndex((item) => item.toLowerCase() === text.trim().toLowerCase());
    if (i < 0) throw new HandsetInputError(`"${text}" is not one of: ${this.items.join(', ')}`);
    this.finish(i);
  }
}

export class ConfirmDialog extends BaseDialog<boolean> {
  readonly kind = 'confirm';

  constructor(
    screen: Screen,
    title: string,
    lines: readonly string[],
    private readonly softKeys: ConfirmSoftKeys,
    settle: Settle<boolean>,
    onClose: () => void,
  ) {
    super(screen, settle, onClose);
    screen.show({ title, lines: [...lines], softKeys: { left: softKeys.yes, right: softKeys.no } });
  }

  key(key: Key): void {
    if (key === 'ok' || key === 'soft-left') this.finish(true);
    else if (key === 'soft-right' || key === 'back') this.finish(false);
  }

  answer(text: string): void {
    const t = text.trim().toLowerCase();
    if (t === this.softKeys.yes.toLowerCase() || ['yes', 'true', 'ok'].includes(t)) this.finish(true);
    else if (t === this.softKeys.no.toLowerCase() || ['no', 'false'].includes(t)) this.finish(false);
    else {
      throw new HandsetInputError(`answer "${this.softKeys.yes}" or "${this.softKeys.no}" (or yes / no)`);
    }
  }
}
