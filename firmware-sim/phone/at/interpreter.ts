/**
 * The AT command interpreter of a DCE (the phone's modem side): bytes from the DTE in, bytes out through
 * `output`. It owns what V.250 gives every modem — echo (E), result code format (V, Q), S-registers,
 * ATZ/AT&F, "A/" — and the +CMEE error mode of TS 27.007 §9.1; everything else comes from the command
 * table. Pure and synchronous: no timers, no I/O; it never throws out of `receive`.
 */
import { AtCommandTable, error, ok, ResultCode } from './command-table.js';
import type { AtFinal, AtResponse, PromptHandler } from './command-table.js';
import { cmeErrorText, CmeError } from './cme-error.js';
import { AtLineAssembler, DEFAULT_MAX_LINE_LENGTH } from './line-assembler.js';
import type { AtCommand } from './parser.js';
import { parseCommandLine } from './parser.js';

/** S-registers of V.250 §6.2 with their defaults and ranges. */
export const S_REGISTERS: Readonly<Record<number, { value: number; min: number; max: number }>> = {
  0: { value: 0, min: 0, max: 255 }, // rings before automatic answer
  3: { value: 13, min: 0, max: 127 }, // command line termination character
  4: { value: 10, min: 0, max: 127 }, // response formatting character
  5: { value: 8, min: 0, max: 127 }, // command line editing character
  6: { value: 2, min: 2, max: 10 }, // pause before blind dialling
  7: { value: 50, min: 1, max: 255 }, // connection completion timeout
  8: { value: 2, min: 0, max: 255 }, // comma dial modifier time
  10: { value: 14, min: 1, max: 254 }, // automatic disconnect delay
};

export interface AtSettings {
  /** E: echo of received characters. */
  echo: boolean;
  /** V: verbose (text) or numeric result codes. */
  verbose: boolean;
  /** Q: result codes suppressed. */
  quiet: boolean;
  /** +CMEE: 0 ERROR, 1 numeric +CME ERROR, 2 verbose +CME ERROR. */
  cmee: 0 | 1 | 2;
  /** S-registers by number. */
  s: Record<number, number>;
}

export function defaultAtSettings(): AtSettings {
  const s: Record<number, number> = {};
  for (const [n, r] of Object.entries(S_REGISTERS)) s[Number(n)] = r.value;
  return { echo: true, verbose: true, quiet: false, cmee: 0, s };
}

export interface AtInterpreterOptions {
  table: AtCommandTable;
  /** Bytes toward the DTE. */
  output: (bytes: Uint8Array) => void;
  maxLineLength?: number;
  /** After ATZ or AT&F reset the interpreter's settings: the device resets its own (+CSCS, +CREG …). */
  onReset?: (kind: 'Z' | '&F') => void;
  /** Sees every final result code, also those Q1 suppresses (transcripts, tests). */
  onFinal?: (final: AtFinal) => void;
  /** Unsolicited result codes kept while they cannot be sent; the oldest are dropped beyond it. */
  maxQueuedUnsolicited?: number;
}

const CTRL_Z = 0x1a;
const ESC = 0x1b;
const DEFAULT_PROMPT_LENGTH = 1024;
/** Input held while a deferred answer is awaited (a DTE that types ahead); more is dropped. */
const MAX_HELD_INPUT = 4096;

export class AtInterpreter {
  readonly settings: AtSettings = defaultAtSettings();
  private readonly assembler: AtLineAssembler;
  private readonly table: AtCommandTable;
  private readonly out: (bytes: Uint8Array) => void;
  private readonly options: AtInterpreterOptions;
  private lastLine = '';
  private executing = false;
  private prompt: { handler: PromptHandler; data: number[]; overflow: boolean } | undefined;
  private readonly queue: string[][] = [];
  private batch: number[] | undefined;
  /** A deferred final result is awaited; input is held in `held` until it comes. */
  private waiting = false;
  private held: number[] = [];
  /** Bumped by `reset`, so an answer that settles after a power cycle is dropped. */
  private generation = 0;

  constructor(options: AtInterpreterOptions) {
    this.options = options;
    this.table = options.table;
    this.out = options.output;
    this.assembler = new AtLineAssembler(options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH);
  }

  /** True while a "> " prompt collects data. */
  get prompting(): boolean {
    return this.prompt !== undefined;
  }

  /** True while a command waits for its deferred answer. */
  get awaitingAnswer(): boolean {
    return this.waiting;
  }

  /** Bytes from the DTE. */
  receive(bytes: Uint8Array): void {
    this.batched(() => this.receiveAll(bytes));
  }

  /** Everything one chunk of input (or one deferred answer) causes leaves in one write, as from a UART FIFO. */
  private batched(work: () => void): void {
    const outer = this.batch === undefined;
    if (outer) this.batch = [];
    try {
      work();
    } finally {
      if (outer) {
        const out = this.batch!;
        this.batch = undefined;
        if (out.length > 0) this.out(Uint8Array.from(out));
      }
    }
  }

  private receiveAll(bytes: Uint8Array): void {
    for (const b of bytes) {
      try {
        this.receiveByte(b);
      } catch {
        // A handler fault must not take the line down: answer as a phone failure and go on.
        this.prompt = undefined;
        this.executing = false;
        this.waiting = false;
        this.final({ kind: 'cme', code: CmeError.PHONE_FAILURE });
        this.flushUnsolicited();
      }
    }
  }

  /**
   * An unsolicited result code (e.g. "+CREG: 1"; several lines, such as +CMT and its PDU, as an array,
   * kept together). Sent at once when the line is idle; while a command
   * line is typed or executed, or a prompt is open, it waits until the final result code has been sent.
   */
  unsolicited(text: string | readonly string[]): void {
    const lines = typeof text === 'string' ? [text] : [...text];
    if (this.busy) {
      this.queue.push(lines);
      const max = this.options.maxQueuedUnsolicited ?? 64;
      while (this.queue.length > max) this.queue.shift();
      return;
    }
    this.emitUnsolicited(lines);
  }

  /** Settings back to defaults and any partial line or prompt dropped (power cycle). */
  reset(): void {
    Object.assign(this.settings, defaultAtSettings());
    this.assembler.clear();
    this.prompt = undefined;
    this.queue.length = 0;
    this.lastLine = '';
    this.waiting = false;
    this.held = [];
    this.generation++;
  }

  private get busy(): boolean {
    return this.executing || this.waiting || this.prompt !== undefined || this.assembler.inLine;
  }

  /**
   * Waits for a deferred answer; `then` writes it (and may go on with the command line). Afterwards
   * waiting codes go out and the input held meanwhile is processed.
   */
  private await(result: Promise<AtResponse>, then: (r: AtResponse) => void): void {
    this.waiting = true;
    const generation = this.generation;
    const settle = (r: AtResponse): void => {
      if (generation !== this.generation) return;
      this.batched(() => {
        this.waiting = false;
        try {
          then(r);
        } catch {
          this.executing = false;
          this.waiting = false;
          this.final({ kind: 'cme', code: CmeError.PHONE_FAILURE });
        }
        if (!this.busy) this.flushUnsolicited();
        if (this.waiting) return;
        const held = this.held;
        this.held = [];
        this.receiveAll(Uint8Array.from(held));
      });
    };
    result.then(settle, () => settle({ lines: [], final: { kind: 'cme', code: CmeError.PHONE_FAILURE } }));
  }

  private receiveByte(b: number): void {
    if (this.waiting) {
      if (this.held.length < MAX_HELD_INPUT) this.held.push(b);
      return;
    }
    if (this.prompt) {
      // The data is echoed; its Ctrl-Z / ESC terminator is not.
      if (this.settings.echo && b !== CTRL_Z && b !== ESC) this.write(String.fromCharCode(b));
      this.promptByte(b);
      return;
    }
    if (this.settings.echo) this.write(String.fromCharCode(b));
    const ev = this.assembler.push(b, this.settings.s[3]!, this.settings.s[5]!);
    if (!ev) return;
    if (ev.kind === 'overflow') {
      this.final({ kind: 'code', code: 'ERROR' });
      this.flushUnsolicited();
      return;
    }
    const body = ev.kind === 'repeat' ? this.lastLine : ev.body;
    this.lastLine = body;
    this.executeLine(body);
  }

  private promptByte(b: number): void {
    const p = this.prompt!;
    if (b === ESC) {
      this.prompt = undefined;
      p.handler.cancel?.();
      this.final({ kind: 'code', code: 'OK' });
      this.flushUnsolicited();
      return;
    }
    if (b === CTRL_Z) {
      this.prompt = undefined;
      this.executing = true;
      try {
        const r = p.handler.submit(Uint8Array.from(p.data), p.overflow);
        this.info(r.lines);
        if (r.final.kind === 'deferred') {
          this.await(r.final.result, (answer) => {
            this.info(answer.lines);
            this.final(this.plainFinal(answer.final));
          });
        } else {
          this.final(this.plainFinal(r.final));
        }
      } finally {
        this.executing = false;
      }
      if (!this.busy) this.flushUnsolicited();
      return;
    }
    if (p.data.length < (p.handler.maxLength ?? DEFAULT_PROMPT_LENGTH)) p.data.push(b);
    else p.overflow = true;
    if (b === this.settings.s[3] && p.handler.continuation) this.write(`${this.cr}${this.lf}> `);
  }

  private executeLine(body: string): void {
    const parsed = parseCommandLine(body);
    this.runCommands(parsed.commands, 0, parsed.error !== undefined);
  }

  /** Runs the commands of a line from `from` on; a deferred answer resumes the line when it comes. */
  private runCommands(commands: readonly AtCommand[], from: number, syntaxError: boolean): void {
    this.executing = true;
    try {
      for (let i = from; i < commands.length; i++) {
        const r = this.run(commands[i]!);
        this.info(r.lines);
        if (r.final.kind === 'prompt') {
          // Commands after a prompting one on the same line are not executed.
          this.prompt = { handler: r.final.handler, data: [], overflow: false };
          this.write(`${this.cr}${this.lf}> `);
          return;
        }
        if (r.final.kind === 'deferred') {
          this.await(r.final.result, (answer) => {
            this.info(answer.lines);
            const f = this.plainFinal(answer.final);
            if (f.kind === 'code' && f.code === 'OK') this.runCommands(commands, i + 1, syntaxError);
            else this.final(f);
          });
          return;
        }
        if (!(r.final.kind === 'code' && r.final.code === 'OK')) {
          this.final(r.final);
          return;
        }
      }
      this.final({ kind: 'code', code: syntaxError ? 'ERROR' : 'OK' });
    } finally {
      this.executing = false;
      if (!this.busy) this.flushUnsolicited();
    }
  }

  /** A later answer cannot open a prompt or defer again. */
  private plainFinal(f: AtFinal): AtFinal {
    return f.kind === 'prompt' || f.kind === 'deferred' ? { kind: 'code', code: 'ERROR' } : f;
  }

  private run(cmd: AtCommand): AtResponse {
    switch (cmd.type) {
      case 'dial':
        return this.table.dial ? this.table.dial(cmd.text) : error();
      case 'sreg':
        return this.sRegister(cmd);
      case 'basic':
        return this.basic(cmd.name, cmd.value);
      case 'extended': {
        const c = this.table.extended.get(cmd.name);
        if (!c) return error();
        switch (cmd.op) {
          case 'exec':
            return c.exec ? c.exec() : error();
          case 'read':
            return c.read ? c.read() : error();
          case 'test':
            return c.test ? c.test() : error();
          case 'set':
            return c.set ? c.set(cmd.params) : error();
        }
      }
    }
  }

  private basic(name: string, value: number | undefined): AtResponse {
    const flag = (apply: (on: boolean) => void): AtResponse => {
      const v = value ?? 0;
      if (v > 1) return error();
      apply(v === 1);
      return ok();
    };
    switch (name) {
      case 'E':
        return flag((on) => (this.settings.echo = on));
      case 'V':
        return flag((on) => (this.settings.verbose = on));
      case 'Q':
        return flag((on) => (this.settings.quiet = on));
      case 'Z':
      case '&F': {
        if ((value ?? 0) !== 0) return error();
        Object.assign(this.settings, defaultAtSettings());
        this.options.onReset?.(name);
        return ok();
      }
    }
    const c = this.table.basic.get(name);
    return c ? c.run(value) : error();
  }

  private sRegister(cmd: Extract<AtCommand, { type: 'sreg' }>): AtResponse {
    const spec = S_REGISTERS[cmd.register];
    if (!spec) return error();
    if (cmd.op !== 'set') {
      if (cmd.op === 'read') return ok(String(this.settings.s[cmd.register]).padStart(3, '0'));
      return ok(`(${spec.min}-${spec.max})`);
    }
    if (cmd.value < spec.min || cmd.value > spec.max) return error();
    this.settings.s[cmd.register] = cmd.value;
    return ok();
  }

  private get cr(): string {
    return String.fromCharCode(this.settings.s[3]!);
  }

  private get lf(): string {
    return String.fromCharCode(this.settings.s[4]!);
  }

  /** Information text: V1 <cr><lf>text<cr><lf>; V0 text<cr><lf> (V.250 §5.7.1). */
  private info(lines: readonly string[]): void {
    if (lines.length === 0) return;
    const body = lines.join(this.cr + this.lf) + this.cr + this.lf;
    this.write(this.settings.verbose ? this.cr + this.lf + body : body);
  }

  private final(f: AtFinal): void {
    this.options.onFinal?.(f);
    if (this.settings.quiet) return;
    let text: string;
    let numeric: number | undefined;
    switch (f.kind) {
      case 'code':
        text = f.code;
        numeric = ResultCode[f.code];
        break;
      case 'cme':
        if (this.settings.cmee === 0) {
          text = 'ERROR';
          numeric = ResultCode.ERROR;
        } else {
          text = `+CME ERROR: ${this.settings.cmee === 2 ? cmeErrorText(f.code) : f.code}`;
        }
        break;
      case 'cms':
        text = `+CMS ERROR: ${this.settings.cmee === 2 && f.text ? f.text : f.code}`;
        break;
      case 'prompt':
      case 'deferred':
        text = 'ERROR';
        numeric = ResultCode.ERROR;
        break;
    }
    if (this.settings.verbose) this.write(this.cr + this.lf + text + this.cr + this.lf);
    else this.write((numeric === undefined ? text : String(numeric)) + this.cr);
  }

  private emitUnsolicited(lines: readonly string[]): void {
    if (this.settings.quiet) return;
    this.info(lines);
  }

  private flushUnsolicited(): void {
    while (this.queue.length > 0 && !this.busy) this.emitUnsolicited(this.queue.shift()!);
  }

  private write(text: string): void {
    if (text.length === 0) return;
    if (this.batch) {
      for (let i = 0; i < text.length; i++) this.batch.push(text.charCodeAt(i) & 0xff);
      return;
    }
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
    this.out(bytes);
  }
}
