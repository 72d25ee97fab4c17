/**
 * ITU-T V.250 §5.3–5.4 command-line parser: the text after the "AT" prefix, split into basic commands
 * (`E0`, `&F`, `S7=60`, `D…`) and extended commands (`+NAME`, `+NAME?`, `+NAME=?`, `+NAME=<values>`).
 * Spaces outside string constants are ignored and names are case-insensitive. Parsing stops at the first
 * syntax error: the commands before it are returned (V.250 executes them) together with the error.
 */

/** One subparameter value of an extended command. */
export type AtParam =
  /** A decimal constant; `text` keeps its digits as typed (leading zeros of an unquoted PIN). */
  | { kind: 'number'; value: number; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'omitted' }
  /** Unquoted text that is not a decimal number (e.g. `AT+CPIN=12AB`, `AT+CLCK=SC,2`). */
  | { kind: 'token'; text: string };

export type AtCommand =
  /** A basic command: a letter or `&` + letter, with an optional decimal value. */
  | { type: 'basic'; name: string; value: number | undefined }
  | { type: 'sreg'; register: number; op: 'read' | 'test' }
  | { type: 'sreg'; register: number; op: 'set'; value: number }
  /** Dial: everything up to `;` or the end of the line (V.250 §6.3.1). */
  | { type: 'dial'; text: string }
  | { type: 'extended'; name: string; op: 'exec' | 'read' | 'test' | 'set'; params: AtParam[] };

export interface ParsedCommandLine {
  commands: AtCommand[];
  /** Set when a syntax error stopped parsing; `commands` holds what came before it. */
  error?: { at: number; reason: string };
}

/** Characters allowed in an extended command name after its prefix (V.250 §5.4.1). */
const NAME_CHAR = /[A-Z0-9!%\-./:_]/i;
/** First characters of extended (and manufacturer-specific) command names. */
const EXTENDED_PREFIX = new Set(['+', '^', '$', '%', '*', '#']);
/** The largest decimal value accepted before it is a syntax error. */
const MAX_NUMBER = 0xffffffff;

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  /** Skips spaces (ignored outside strings, V.250 §5.1). */
  skip(): void {
    while (this.s[this.i] === ' ') this.i++;
  }
  peek(): string | undefined {
    this.skip();
    return this.s[this.i];
  }
  next(): string | undefined {
    this.skip();
    return this.s[this.i++];
  }
  digits(): string {
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined || c < '0' || c > '9') return out;
      out += c;
      this.i++;
    }
  }
  get done(): boolean {
    return this.peek() === undefined;
  }
}

class SyntaxError_ extends Error {
  constructor(
    readonly at: number,
    reason: string,
  ) {
    super(reason);
  }
}

function fail(c: Cursor, reason: string): never {
  throw new SyntaxError_(c.i, reason);
}

function number(c: Cursor, text: string): number {
  const v = Number(text);
  if (text.length > 10 || v > MAX_NUMBER) fail(c, 'number out of range');
  return v;
}

/** A string constant: `"…"` with `\HH` escapes (V.250 §5.4.2.2). The opening quote is consumed. */
function stringConstant(c: Cursor): string {
  let out = '';
  for (;;) {
    const ch = c.s[c.i++];
    if (ch === undefined) fail(c, 'unterminated string');
    if (ch === '"') return out;
    if (ch === '\\') {
      const h = c.s.slice(c.i, c.i + 2);
      if (!/^[0-9A-Fa-f]{2}$/.test(h)) fail(c, 'bad \\HH escape');
      out += String.fromCharCode(parseInt(h, 16));
      c.i += 2;
      continue;
    }
    out += ch;
  }
}

function params(c: Cursor): AtParam[] {
  const out: AtParam[] = [];
  for (;;) {
    const ch = c.peek();
    if (ch === '"') {
      c.i++;
      out.push({ kind: 'string', value: stringConstant(c) });
    } else if (ch === undefined || ch === ',' || ch === ';') {
      out.push({ kind: 'omitted' });
    } else {
      let text = '';
      for (;;) {
        const t = c.peek();
        if (t === undefined || t === ',' || t === ';' || t === '"') break;
        text += t;
        c.i++;
      }
      out.push(
        /^\d+$/.test(text) ? { kind: 'number', value: number(c, text), text } : { kind: 'token', text },
      );
    }
    const sep = c.peek();
    if (sep === ',') {
      c.i++;
      continue;
    }
    if (sep === undefined || sep === ';') return out;
    fail(c, 'expected "," or ";" after a value');
  }
}

function extended(c: Cursor, prefix: string): AtCommand {
  let name = prefix;
  const first = c.peek();
  if (first === undefined || !/[A-Z]/i.test(first)) fail(c, 'an extended name starts with a letter');
  while (name.length < 17) {
    const ch = c.peek();
    if (ch === undefined || !NAME_CHAR.test(ch)) break;
    name += ch.toUpperCase();
    c.i++;
  }
  let cmd: AtCommand;
  const op = c.peek();
  if (op === '?') {
    c.i++;
    cmd = { type: 'extended', name, op: 'read', params: [] };
  } else if (op === '=') {
    c.i++;
    if (c.peek() === '?') {
      c.i++;
      cmd = { type: 'extended', name, op: 'test', params: [] };
    } else {
      cmd = { type: 'extended', name, op: 'set', params: params(c) };
    }
  } else {
    cmd = { type: 'extended', name, op: 'exec', params: [] };
  }
  // An extended command ends the line or is followed by ";" (V.250 §5.4.1).
  const end = c.peek();
  if (end === ';') c.i++;
  else if (end !== undefined) fail(c, 'expected ";" after an extended command');
  return cmd;
}

function basic(c: Cursor, letter: string): AtCommand {
  const upper = letter.toUpperCase();
  if (upper === 'D') {
    let text = '';
    while (c.s[c.i] !== undefined && c.s[c.i] !== ';') text += c.s[c.i++];
    if (c.s[c.i] === ';') c.i++;
    return { type: 'dial', text: text.replace(/ /g, '') };
  }
  if (upper === 'S') {
    const n = c.digits();
    if (n === '') fail(c, 'S needs a register number');
    const register = number(c, n);
    const op = c.next();
    if (op === '?') return { type: 'sreg', register, op: 'read' };
    if (op !== '=') fail(c, 'expected "?" or "=" after Sn');
    if (c.peek() === '?') {
      c.i++;
      return { type: 'sreg', register, op: 'test' };
    }
    const v = c.digits();
    // "Sn=" with no value sets 0 (V.250 §5.3.1: a missing value is 0).
    return { type: 'sreg', register, op: 'set', value: v === '' ? 0 : number(c, v) };
  }
  let name = upper;
  if (letter === '&') {
    const l = c.next();
    if (l === undefined || !/[A-Z]/i.test(l)) fail(c, 'expected a letter after "&"');
    name += l.toUpperCase();
  } else if (!/[A-Z]/.test(upper)) {
    fail(c, `"${letter}" is no command`);
  }
  const v = c.digits();
  return { type: 'basic', name, value: v === '' ? undefined : number(c, v) };
}

/** Parses the command line body (what follows "AT", without the S3 terminator). Never throws. */
export function parseCommandLine(body: string): ParsedCommandLine {
  const c = new Cursor(body);
  const commands: AtCommand[] = [];
  try {
    while (!c.done) {
      const ch = c.next()!;
      if (ch === ';') continue;
      if (EXTENDED_PREFIX.has(ch)) commands.push(extended(c, ch));
      else commands.push(basic(c, ch));
    }
    return { commands };
  } catch (err) {
    if (err instanceof SyntaxError_) return { commands, error: { at: err.at, reason: err.message } };
    return { commands, error: { at: c.i, reason: String(err) } };
  }
}

/** Readers for handler parameters. */
export const param = {
  /** A decimal value; `undefined` when omitted or absent; `null` when not a number. */
  int(p: AtParam | undefined): number | undefined | null {
    if (!p || p.kind === 'omitted') return undefined;
    return p.kind === 'number' ? p.value : null;
  },
  /** A string value (quoted, or unquoted text as many modems accept); undefined when omitted. */
  str(p: AtParam | undefined): string | undefined {
    if (!p || p.kind === 'omitted') return undefined;
    if (p.kind === 'string') return p.value;
    if (p.kind === 'token') return p.text;
    return p.text;
  },
};
