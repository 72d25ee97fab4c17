/**
 * Service Indication (WAP-167-ServiceInd) in WBXML 1.x (WAP-192-WBXML): the document a WAP Push carries
 * to put a link on a phone. Tokens of code page 0 from WAP-167 §8.3: tags si 05, indication 06, info 07,
 * item 08; attribute starts action 05–09, created 0A, href 0B–0F (with URL prefixes), si-expires 10,
 * si-id 11, class 12; attribute values 85–88 (.com/ .edu/ .net/ .org/). Dates travel as OPAQUE digits.
 */
import { OctetReader, PduError, guard, type SmsResult } from './errors.js';

export type SiAction = 'signal-none' | 'signal-low' | 'signal-medium' | 'signal-high' | 'delete';

export interface ServiceIndication {
  href?: string;
  siId?: string;
  /** ISO 8601 UTC, "2026-11-21T10:30:00Z", as the SI XML writes dates. */
  created?: string;
  expires?: string;
  action?: SiAction;
  /** The indication's text content. */
  text: string;
}

const WBXML = { SWITCH_PAGE: 0x00, END: 0x01, ENTITY: 0x02, STR_I: 0x03, STR_T: 0x83, OPAQUE: 0xc3 } as const;
const PUBLIC_ID_SI = 0x05;
const CHARSET_UTF8 = 106;

const TAGS: Record<number, string> = { 0x05: 'si', 0x06: 'indication', 0x07: 'info', 0x08: 'item' };
const ACTIONS: SiAction[] = ['signal-none', 'signal-low', 'signal-medium', 'signal-high', 'delete'];
/** Attribute start tokens: [name, value prefix]. */
const ATTR_STARTS: Record<number, readonly [string, string]> = {
  0x05: ['action', 'signal-none'],
  0x06: ['action', 'signal-low'],
  0x07: ['action', 'signal-medium'],
  0x08: ['action', 'signal-high'],
  0x09: ['action', 'delete'],
  0x0a: ['created', ''],
  0x0b: ['href', ''],
  0x0c: ['href', 'http://'],
  0x0d: ['href', 'http://www.'],
  0x0e: ['href', 'https://'],
  0x0f: ['href', 'https://www.'],
  0x10: ['si-expires', ''],
  0x11: ['si-id', ''],
  0x12: ['class', ''],
};
const ATTR_VALUES: Record<number, string> = { 0x85: '.com/', 0x86: '.edu/', 0x87: '.net/', 0x88: '.org/' };
const HREF_PREFIXES: ReadonlyArray<readonly [number, string]> = [
  [0x0f, 'https://www.'],
  [0x0e, 'https://'],
  [0x0d, 'http://www.'],
  [0x0c, 'http://'],
];

function mbUint(n: number): number[] {
  const out = [n & 0x7f];
  for (let v = n >>> 7; v > 0; v >>>= 7) out.unshift(0x80 | (v & 0x7f));
  return out;
}

const inlineString = (s: string): number[] => [WBXML.STR_I, ...Buffer.from(s, 'utf8'), 0];

/** "2026-11-21T10:30:00Z" → OPAQUE of the digits two per octet, trailing zero octets dropped (§8.2.2). */
function opaqueDate(iso: string): number[] {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(iso);
  if (!m) throw new RangeError(`SI date "${iso}" is not YYYY-MM-DDThh:mm:ssZ`);
  const octets = [...Buffer.from(m.slice(1).join(''), 'hex')];
  while (octets.length > 0 && octets[octets.length - 1] === 0) octets.pop();
  return [WBXML.OPAQUE, ...mbUint(octets.length), ...octets];
}

function dateFromOpaque(o: Uint8Array): string {
  if (o.length > 7) throw new PduError('SI date longer than 7 octets');
  const d = (Buffer.from(o).toString('hex') + '0'.repeat(14)).slice(0, 14);
  if (!/^\d{14}$/.test(d)) throw new PduError('SI date is not BCD digits');
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(8, 10)}:${d.slice(10, 12)}:${d.slice(12, 14)}Z`;
}

export function encodeServiceIndication(si: ServiceIndication): Uint8Array {
  const attrs: number[] = [];
  if (si.href !== undefined) {
    const prefix = HREF_PREFIXES.find(([, p]) => si.href!.startsWith(p));
    const token = prefix ? prefix[0] : 0x0b;
    const rest = prefix ? si.href.slice(prefix[1].length) : si.href;
    attrs.push(token, ...(rest ? inlineString(rest) : []));
  }
  if (si.siId !== undefined) attrs.push(0x11, ...inlineString(si.siId));
  if (si.created !== undefined) attrs.push(0x0a, ...opaqueDate(si.created));
  if (si.expires !== undefined) attrs.push(0x10, ...opaqueDate(si.expires));
  if (si.action !== undefined) attrs.push(0x05 + ACTIONS.indexOf(si.action));
  const indicationTag = 0x06 | (attrs.length ? 0x80 : 0) | (si.text ? 0x40 : 0);
  return Uint8Array.from([
    0x02, // WBXML 1.2
    PUBLIC_ID_SI,
    CHARSET_UTF8,
    0x00, // empty string table
    0x45, // <si> with content
    indicationTag,
    ...(attrs.length ? [...attrs, WBXML.END] : []),
    ...(si.text ? [...inlineString(si.text), WBXML.END] : []),
    WBXML.END, // </si>
  ]);
}

interface Element {
  tag: string;
  attrs: Map<string, string>;
  text: string;
  children: Element[];
}

class WbxmlReader {
  readonly r: OctetReader;
  strtbl: Uint8Array = new Uint8Array(0);
  constructor(bytes: Uint8Array) {
    this.r = new OctetReader(bytes);
  }

  mbUint(field: string): number {
    let v = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.r.octet(field);
      v = v * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) return v;
    }
    throw new PduError(`${field}: mb_u_int32 longer than 5 octets`);
  }

  inline(): string {
    const bytes: number[] = [];
    for (let b = this.r.octet('inline string'); b !== 0; b = this.r.octet('inline string')) bytes.push(b);
    return Buffer.from(bytes).toString('utf8');
  }

  tableString(): string {
    const at = this.mbUint('string table index');
    if (at >= this.strtbl.length) throw new PduError('string table index out of range');
    const end = this.strtbl.indexOf(0, at);
    return Buffer.from(this.strtbl.subarray(at, end < 0 ? undefined : end)).toString('utf8');
  }

  /** A string-ish token in content or in an attribute value; undefined when `b` is not one. */
  stringToken(b: number): string | undefined {
    if (b === WBXML.STR_I) return this.inline();
    if (b === WBXML.STR_T) return this.tableString();
    if (b === WBXML.ENTITY) return String.fromCodePoint(Math.min(this.mbUint('entity'), 0x10ffff));
    return undefined;
  }

  element(b: number, depth: number): Element {
    if (depth > 16) throw new PduError('WBXML nested too deeply');
    const tag = TAGS[b & 0x3f];
    if (tag === undefined) throw new PduError(`WBXML tag 0x${(b & 0x3f).toString(16)} is not an SI tag`);
    const el: Element = { tag, attrs: new Map(), text: '', children: [] };
    if (b & 0x80) this.attributes(el);
    if (b & 0x40) {
      for (;;) {
        const t = this.r.octet('content');
        if (t === WBXML.END) break;
        if (t === WBXML.SWITCH_PAGE) {
          this.r.octet('code page');
          continue;
        }
        if (t === WBXML.OPAQUE) {
          this.r.take(this.mbUint('opaque length'), 'opaque');
          continue;
        }
        const s = this.stringToken(t);
        if (s !== undefined) el.text += s;
        else el.children.push(this.element(t, depth + 1));
      }
    }
    return el;
  }

  attributes(el: Element): void {
    let name: string | undefined;
    let value = '';
    const flush = (): void => {
      if (name !== undefined) el.attrs.set(name, value);
    };
    for (;;) {
      const t = this.r.octet('attribute');
      if (t === WBXML.END) break;
      if (t === WBXML.SWITCH_PAGE) {
        this.r.octet('code page');
        continue;
      }
      const s = this.stringToken(t);
      if (s !== undefined) value += s;
      else if (t === WBXML.OPAQUE)
        value += dateFromOpaque(this.r.take(this.mbUint('opaque length'), 'opaque'));
      else if (t >= 0x80) value += ATTR_VALUES[t] ?? '';
      else {
        const start = ATTR_STARTS[t];
        if (!start) throw new PduError(`WBXML attribute 0x${t.toString(16)} is not an SI attribute`);
        flush();
        [name, value] = start;
      }
    }
    flush();
  }
}

function decode(bytes: Uint8Array): ServiceIndication {
  const w = new WbxmlReader(bytes);
  const version = w.r.octet('WBXML version');
  if (version > 0x03) throw new PduError(`WBXML version 0x${version.toString(16)} unknown`);
  const publicId = w.mbUint('public id');
  if (publicId === 0) w.mbUint('public id index');
  if (version > 0x00) w.mbUint('charset');
  w.strtbl = w.r.take(w.mbUint('string table length'), 'string table');
  const root = w.element(w.r.octet('root element'), 0);
  if (root.tag !== 'si') throw new PduError(`WBXML root is <${root.tag}>, not <si>`);
  const ind = root.children.find((c) => c.tag === 'indication');
  if (!ind) throw new PduError('SI without <indication>');
  const a = ind.attrs;
  const si: ServiceIndication = { text: ind.text };
  if (a.has('href')) si.href = a.get('href')!;
  if (a.has('si-id')) si.siId = a.get('si-id')!;
  if (a.has('created')) si.created = a.get('created')!;
  if (a.has('si-expires')) si.expires = a.get('si-expires')!;
  if (a.has('action')) si.action = a.get('action') as SiAction;
  return si;
}

/** Decodes an SI document; never throws. */
export function decodeServiceIndication(bytes: Uint8Array): SmsResult<ServiceIndication> {
  return guard(() => decode(bytes));
}
