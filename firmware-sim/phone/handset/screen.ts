/**
 * What the handset's display shows, as data: the status bar, a title, lines of text, an optional list of
 * choices, an optional input field, an optional image (a barcode, drawn later by render.ts) and the labels
 * of the two soft keys. The control API, the dashboard and tests read it as JSON (`toJSON()`); every change
 * is an event. A masked field's value never leaves the screen model — only as many '*' as it has characters.
 */
import type { Symbology } from '../../scanner/symbology.js';

export interface StatusBar {
  /** 0–4 bars (0 also when the radio is off or there is no network). */
  signalBars: number;
  /** +CSQ <rssi> behind the bars (99 unknown). */
  rssi: number;
  /** 0–100 %, undefined without a battery. */
  batteryLevel: number | undefined;
  charging: boolean;
  /** The serving network's name, or what the phone shows instead ("No service", "Searching"). */
  operator: string;
}

export interface ChoiceList {
  items: string[];
  /** Index of the highlighted item. */
  selected: number;
}

export type InputMode = 'numeric' | 'text';

export interface InputField {
  label: string;
  value: string;
  masked: boolean;
  mode: InputMode;
  maxLength: number;
  /** Text mode: the letter case multi-tap types next. */
  textCase: 'lower' | 'upper';
  /** The character of a multi-tap still in progress (already part of `value`, at its end). */
  pending: boolean;
}

export interface BarcodeImage {
  kind: 'barcode';
  symbology: Symbology;
  text: string;
}

export type ScreenImage = BarcodeImage;

export interface SoftKeys {
  left: string | undefined;
  right: string | undefined;
}

/** The part of the display a view draws (everything but the status bar and the notification). */
export interface ScreenContent {
  title: string;
  lines?: string[];
  choices?: ChoiceList;
  input?: InputField;
  image?: ScreenImage;
  softKeys?: Partial<SoftKeys>;
}

/** The JSON form: what a user can see. */
export interface ScreenJson {
  /** Increments with every change. */
  seq: number;
  status: StatusBar;
  title: string;
  lines: string[];
  choices: ChoiceList | null;
  input: (Omit<InputField, 'value'> & { value: string; length: number }) | null;
  image: ScreenImage | null;
  softKeys: { left: string | null; right: string | null };
  notification: string | null;
}

export type ScreenListener = (screen: ScreenJson) => void;

const NO_STATUS: StatusBar = {
  signalBars: 0,
  rssi: 99,
  batteryLevel: undefined,
  charging: false,
  operator: 'No service',
};

/** Longest text kept per line / title / item (a phone screen shows far less; this bounds memory). */
const MAX_TEXT = 512;
const MAX_LINES = 64;
const MAX_ITEMS = 99;

const clip = (s: string): string => (s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s);

export class Screen {
  private seqValue = 0;
  private content: ScreenContent = { title: '' };
  private statusValue: StatusBar = { ...NO_STATUS };
  private notificationValue: string | undefined;
  private readonly listeners: ScreenListener[] = [];

  get seq(): number {
    return this.seqValue;
  }

  get status(): StatusBar {
    return { ...this.statusValue };
  }

  get title(): string {
    return this.content.title;
  }

  get lines(): readonly string[] {
    return this.content.lines ?? [];
  }

  get choices(): ChoiceList | undefined {
    const c = this.content.choices;
    return c ? { items: [...c.items], selected: c.selected } : undefined;
  }

  get input(): InputField | undefined {
    return this.content.input ? { ...this.content.input } : undefined;
  }

  get image(): ScreenImage | undefined {
    return this.content.image;
  }

  get softKeys(): SoftKeys {
    return { left: this.content.softKeys?.left, right: this.content.softKeys?.right };
  }

  get notification(): string | undefined {
    return this.notificationValue;
  }

  /** Called with the new JSON after every change. */
  onChange(listener: ScreenListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Replaces what the body shows. */
  show(content: ScreenContent): void {
    this.content = normalise(content);
    this.changed();
  }

  /** Changes part of the body (e.g. moves the highlight, edits the field). */
  update(patch: Partial<ScreenContent>): void {
    this.content = normalise({ ...this.content, ...patch });
    this.changed();
  }

  setStatus(status: StatusBar): void {
    const s = this.statusValue;
    if (
      s.signalBars === status.signalBars &&
      s.rssi === status.rssi &&
      s.batteryLevel === status.batteryLevel &&
      s.charging === status.charging &&
      s.operator === status.operator
    ) {
      return;
    }
    this.statusValue = { ...status, operator: clip(status.operator) };
    this.changed();
  }

  setNotification(text: string | undefined): void {
    if (text === this.notificationValue) return;
    this.notificationValue = text === undefined ? undefined : clip(text);
    this.changed();
  }

  /** The secret of a masked field, for the code that asked for it (never in the JSON). */
  inputValue(): string | undefined {
    return this.content.input?.value;
  }

  toJSON(): ScreenJson {
    const c = this.content;
    const input = c.input;
    return {
      seq: this.seqValue,
      status: { ...this.statusValue },
      title: c.title,
      lines: [...(c.lines ?? [])],
      choices: c.choices ? { items: [...c.choices.items], selected: c.choices.selected } : null,
      input: input
        ? {
            ...input,
            value: input.masked ? '*'.repeat(input.value.length) : input.value,
            length: input.value.length,
          }
        : null,
      image: c.image ? { ...c.image } : null,
      softKeys: { left: c.softKeys?.left ?? null, right: c.softKeys?.right ?? null },
      notification: this.notificationValue ?? null,
    };
  }

  private changed(): void {
    this.seqValue++;
    if (this.listeners.length === 0) return;
    const json = this.toJSON();
    for (const l of [...this.listeners]) l(json);
  }
}

/** Bounds every part so that the model stays small and consistent whatever an application gives it. */
function normalise(c: ScreenContent): ScreenContent {
  const out: ScreenContent = { title: clip(String(c.title)) };
  if (c.lines) out.lines = c.lines.slice(0, MAX_LINES).map((l) => clip(String(l)));
  if (c.choices) {
    const items = c.choices.items.slice(0, MAX_ITEMS).map((i) => clip(String(i)));
    const selected =
      items.length === 0 ? 0 : Math.min(Math.max(0, Math.trunc(c.choices.selected) || 0), items.length - 1);
    out.choices = { items, selected };
  }
  if (c.input) out.input = { ...c.input, label: clip(c.input.label) };
  if (c.image) out.image = { ...c.image, text: clip(c.image.text) };
  if (c.softKeys) out.softKeys = { ...c.softKeys };
  return out;
}
