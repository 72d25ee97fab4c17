/**
 * Honeywell serial command codec (Xenon 1900 / Voyager 1250g "Serial Programming Commands"), used by the
 * emulated scanner and the host driver alike.
 *
 * Host → scanner:
 * - trigger `SYN T CR`, untrigger `SYN U CR`;
 * - menu command `SYN M CR` + `Tag SubTag Data [, SubTag Data] [; Tag SubTag Data] … Storage`, where Tag and
 *   SubTag are 3 case-insensitive characters, `,` continues the same tag, `;` starts a new one, and Storage is
 *   `!` (volatile table, lost at power cycle) or `.` (non-volatile table). `?` current, `^` default and `*`
 *   range may stand in place of the Data (one setting), the SubTag (all of a tag) or the Tag (everything).
 *
 * Scanner → host: the command echoed, with a status byte inserted before each `,` `;` and the final storage
 * character — ACK good, ENQ unknown Tag/SubTag, NAK value out of range. A query carries the value where the
 * `?`/`^`/`*` stood (`cbrena*.` → `CBRENA0-1` ACK `.`).
 *
 * The public user guides document only `!` and `.` as storage characters; `@` and `&` are not described
 * there, so they are not storage characters here (a body containing them is answered like any other data).
 */

export const SYN = 0x16;
export const CR = 0x0d;
export const ACK = 0x06;
export const ENQ = 0x05;
export const NAK = 0x15;

const CHAR_T = 0x54;
const CHAR_U = 0x55;
const CHAR_M = 0x4d;

export const HONEYWELL_TRIGGER: Readonly<Uint8Array> = Uint8Array.of(SYN, CHAR_T, CR);
export const HONEYWELL_UNTRIGGER: Readonly<Uint8Array> = Uint8Array.of(SYN, CHAR_U, CR);
export const HONEYWELL_MENU_PREFIX: Readonly<Uint8Array> = Uint8Array.of(SYN, CHAR_M, CR);

/** Storage table a menu command applies to. */
export const HoneywellStorage = { VOLATILE: '!', NON_VOLATILE: '.' } as const;
export type HoneywellStorage = (typeof HoneywellStorage)[keyof typeof HoneywellStorage];

/** Query characters: current value, default value, range of values. */
export const HoneywellQuery = { CURRENT: '?', DEFAULT: '^', RANGE: '*' } as const;
export type HoneywellQuery = (typeof HoneywellQuery)[keyof typeof HoneywellQuery];

/**
 * Prefix/suffix editing (PREBK2 / SUFBK2 data): two hex digits name the symbology by its Code ID (`99` = all),
 * then hex byte pairs; `5C80` inserts the Honeywell Code ID, `5C81` the AIM identifier, `5C5C` a backslash.
 * Note: the Honeywell guides give 5C80 = Code ID and 5C81 = AIM ID (not the other way round).
 */
export const HONEYWELL_ALL_SYMBOLOGIES = '99';
export const HONEYWELL_INSERT_CODE_ID = '5C80';
export const HONEYWELL_INSERT_AIM_ID = '5C81';
export const HONEYWELL_INSERT_BACKSLASH = '5C5C';

export type HoneywellStatus = 'ack' | 'enq' | 'nak';

const STATUS_BYTE: Record<HoneywellStatus, number> = { ack: ACK, enq: ENQ, nak: NAK };

/**
 * One command of a menu sequence. Queries put the query character in the field they stand for:
 * `{ tag: 'CBR', subtag: 'ENA', data: '?' }`, `{ tag: 'CBR', subtag: '?', data: '' }`, `{ tag: '?', subtag: '', data: '' }`.
 */
export interface HoneywellMenuCommand {
  tag: string;
  subtag: string;
  data: string;
  /**
   * Separator before this command: true `,` (same Tag), false `;`. Left out, the encoder groups commands of
   * one Tag with `,`. The stream parser sets it to true after a `,` only.
   */
  continued?: boolean;
}

export interface HoneywellMenuRequest {
  commands: HoneywellMenuCommand[];
  storage: HoneywellStorage;
}

export function isHoneywellQuery(field: string): field is HoneywellQuery {
  return field === '?' || field === '^' || field === '*';
}

export function isHoneywellStorage(ch: string): ch is HoneywellStorage {
  return ch === '!' || ch === '.';
}

// ---------------------------------------------------------------------------------------------------------
// Host side: encoders

export function encodeTrigger(): Buffer {
  return Buffer.from(HONEYWELL_TRIGGER);
}

export function encodeUntrigger(): Buffer {
  return Buffer.from(HONEYWELL_UNTRIGGER);
}

/** The body of a menu sequence without prefix and storage: consecutive commands of one tag share it via `,`. */
export function formatMenuBody(commands: readonly HoneywellMenuCommand[]): string {
  let out = '';
  let lastTag: string | undefined;
  for (const c of commands) {
    const tag = asciiUpper(c.tag);
    if (lastTag !== undefined && tag === lastTag && !isHoneywellQuery(tag) && c.continued !== false) {
      out += ',' + c.subtag + c.data;
    } else {
      if (lastTag !== undefined) out += ';';
      out += c.tag + c.subtag + c.data;
    }
    lastTag = tag;
  }
  return out;
}

/** `SYN M CR` + body + storage. Accepts one command, several, or a raw body string (`'232BAD9'`). */
export function encodeMenuCommand(
  commands: HoneywellMenuCommand | readonly HoneywellMenuCommand[] | string,
  storage: HoneywellStorage = HoneywellStorage.VOLATILE,
): Buffer {
  const body =
    typeof commands === 'string'
      ? commands
      : formatMenuBody(Array.isArray(commands) ? commands : [commands as HoneywellMenuCommand]);
  return Buffer.concat([Buffer.from(HONEYWELL_MENU_PREFIX), Buffer.from(body + storage, 'latin1')]);
}

// ---------------------------------------------------------------------------------------------------------
// Scanner side: host→scanner stream parser

/** Splits a body on `,` / `;` into commands. Never fails: malformed pieces become commands the scanner ENQs. */
export function parseMenuBody(body: string): HoneywellMenuCommand[] {
  const commands: HoneywellMenuCommand[] = [];
  let tag = '';
  let i = 0;
  let sameTag = false;
  while (i <= body.length) {
    let end = i;
    while (end < body.length && body[end] !== ',' && body[end] !== ';') end++;
    const piece = body.slice(i, end);
    if (sameTag) {
      commands.push({ ...splitSubtag(tag, piece), continued: true });
    } else if (piece.length > 0 && isHoneywellQuery(piece[0]!)) {
      // A query in place of the Tag: the rest of the piece is ignored by the device.
      tag = piece[0]!;
      commands.push({ tag, subtag: '', data: '' });
    } else {
      tag = piece.slice(0, 3);
      commands.push(splitSubtag(tag, piece.slice(3)));
    }
    if (end >= body.length) break;
    sameTag = body[end] === ',';
    i = end + 1;
  }
  return commands;
}

function splitSubtag(tag: string, rest: string): HoneywellMenuCommand {
  if (rest.length > 0 && isHoneywellQuery(rest[0]!)) return { tag, subtag: rest[0]!, data: '' };
  return { tag, subtag: rest.slice(0, 3), data: rest.slice(3) };
}

export type HoneywellHostMessage =
  { kind: 'trigger' } | { kind: 'untrigger' } | { kind: 'menu'; request: HoneywellMenuRequest; body: string };

/** Longest menu body kept; a real scanner's command buffer is finite and garbage must not grow memory. */
export const HONEYWELL_MAX_BODY = 2048;

type ParserState = 'idle' | 'syn' | 'trigger' | 'untrigger' | 'menu-cr' | 'body';

/**
 * Reassembles host commands from bytes arriving in arbitrary chunks. Bytes outside a command are skipped;
 * a new SYN always restarts; an over-long body is dropped. Never throws.
 */
export class HoneywellCommandParser {
  private state: ParserState = 'idle';
  private body: number[] = [];
  /** Bytes skipped as garbage since creation (diagnostics). */
  skipped = 0;

  push(chunk: Uint8Array): HoneywellHostMessage[] {
    const out: HoneywellHostMessage[] = [];
    for (const b of chunk) this.step(b, out);
    return out;
  }

  /** Bytes of an unfinished command. */
  get pending(): number {
    return this.state === 'idle' ? 0 : this.state === 'body' ? 3 + this.body.length : 1;
  }

  reset(): void {
    this.state = 'idle';
    this.body = [];
  }

  private step(b: number, out: HoneywellHostMessage[]): void {
    if (b === SYN && this.state !== 'body') {
      if (this.state !== 'idle') this.skipped += this.pending;
      this.state = 'syn';
      return;
    }
    switch (this.state) {
      case 'idle':
        this.skipped++;
        return;
      case 'syn':
        this.state =
          b === CHAR_T ? 'trigger' : b === CHAR_U ? 'untrigger' : b === CHAR_M ? 'menu-cr' : 'idle';
        if (this.state === 'idle') this.skipped += 2;
        return;
      case 'trigger':
      case 'untrigger':
        if (b === CR) out.push({ kind: this.state });
        else this.skipped += 3;
        this.state = 'idle';
        return;
      case 'menu-cr':
        this.state = b === CR ? 'body' : 'idle';
        this.body = [];
        if (this.state === 'idle') this.skipped += 3;
        return;
      case 'body': {
        if (b === SYN) {
          // A new command interrupts an unfinished one.
          this.skipped += this.pending;
          this.body = [];
          this.state = 'syn';
          return;
        }
        const ch = String.fromCharCode(b);
        if (isHoneywellStorage(ch)) {
          const body = String.fromCharCode(...this.body);
          this.body = [];
          this.state = 'idle';
          out.push({ kind: 'menu', body, request: { commands: parseMenuBody(body), storage: ch } });
          return;
        }
        this.body.push(b);
        if (this.body.length > HONEYWELL_MAX_BODY) {
          this.skipped += this.pending;
          this.body = [];
          this.state = 'idle';
        }
        return;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Replies

/**
 * One answered command. `value` is what stands after Tag+SubTag in the echo: the data sent, or for a query
 * the value returned in place of the query character.
 */
export interface HoneywellReplyEntry {
  tag: string;
  subtag: string;
  value: string;
  status: HoneywellStatus;
  /** As in HoneywellMenuCommand: the echo keeps the separators the host sent. Not set by parseMenuReply. */
  continued?: boolean;
}

export interface HoneywellMenuReply {
  entries: HoneywellReplyEntry[];
  storage: HoneywellStorage;
}

/** Scanner side: echo with the status byte before every separator and the storage character. */
export function encodeMenuReply(reply: HoneywellMenuReply): Buffer {
  const bytes: number[] = [];
  let lastTag: string | undefined;
  for (const e of reply.entries) {
    const tag = asciiUpper(e.tag);
    let text: string;
    if (lastTag !== undefined && tag === lastTag && e.continued !== false) {
      bytes.push(0x2c); // ','
      text = asciiUpper(e.subtag) + e.value;
    } else {
      if (lastTag !== undefined) bytes.push(0x3b); // ';'
      text = tag + asciiUpper(e.subtag) + e.value;
    }
    for (let i = 0; i < text.length; i++) bytes.push(text.charCodeAt(i) & 0xff);
    bytes.push(STATUS_BYTE[e.status]);
    lastTag = tag;
  }
  bytes.push(reply.storage.charCodeAt(0));
  return Buffer.from(bytes);
}

/** Tags and SubTags are echoed in upper case; only ASCII letters change, so every byte keeps its length. */
export function asciiUpper(s: string): string {
  return s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32));
}

function statusOf(b: number | undefined): HoneywellStatus | undefined {
  return b === ACK ? 'ack' : b === ENQ ? 'enq' : b === NAK ? 'nak' : undefined;
}

/**
 * Host side: where a reply ends in `bytes` — the index after the storage character that follows a status
 * byte — or -1 while it is incomplete. Lets a driver cut a reply out of a stream that also carries scans.
 */
export function findMenuReplyEnd(bytes: Uint8Array, from = 0): number {
  for (let i = from; i + 1 < bytes.length; i++) {
    if (statusOf(bytes[i]) !== undefined && isHoneywellStorage(String.fromCharCode(bytes[i + 1]!)))
      return i + 2;
  }
  return -1;
}

/**
 * Host side: parses one complete reply (as cut by findMenuReplyEnd). Entries after `,` carry only the SubTag
 * and inherit the Tag. Returns undefined when the bytes are not a reply.
 */
export function parseMenuReply(bytes: Uint8Array | string): HoneywellMenuReply | undefined {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
  const entries: HoneywellReplyEntry[] = [];
  let tag = '';
  let sameTag = false;
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    const status = statusOf(buf[i]);
    if (status === undefined) continue;
    const sep = buf[i + 1];
    if (sep === undefined) return undefined;
    const sepCh = String.fromCharCode(sep);
    if (sepCh !== ',' && sepCh !== ';' && !isHoneywellStorage(sepCh)) continue;
    const text = buf.toString('latin1', start, i);
    if (sameTag) {
      entries.push({ tag, subtag: text.slice(0, 3), value: text.slice(3), status });
    } else {
      tag = text.slice(0, 3);
      entries.push({ tag, subtag: text.slice(3, 6), value: text.slice(6), status });
    }
    if (isHoneywellStorage(sepCh)) {
      if (i + 2 !== buf.length) return undefined;
      return { entries, storage: sepCh };
    }
    sameTag = sepCh === ',';
    start = i + 2;
  }
  return undefined;
}
