/**
 * Wireshark as an independent HID report-descriptor parser: a descriptor goes into a usbmon capture of an
 * enumeration (devices/capture/usb-hid-capture.ts), tshark dissects it, and this module reads back what
 * tshark's usbhid dissector found — its items, its collection tree, the usages of each Input/Output/Feature
 * item — from tshark's PDML output. Undefined when tshark is not installed (see test/oracles.ts).
 *
 * What comes from Wireshark: where each item starts and ends, its bType/bTag/bSize, its data bytes, and
 * which items each Collection contains. What this module adds: the HID state rules that turn those items
 * into usages (the usage page in effect, ranges, report IDs), kept as small as they can be.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { VirtualClock } from '../firmware-sim/clock.js';
import { UsbHidCapture, type UsbHidFunction } from '../devices/capture/usb-hid-capture.js';
import { hasTshark } from './oracles.js';

const run = promisify(execFile);

// ——— PDML ———

export interface PdmlNode {
  tag: string;
  attrs: Record<string, string>;
  children: PdmlNode[];
}

const ENTITIES: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? whole;
  });
}

/** PDML is element-only XML (no text content): a tag tokenizer builds the tree. */
export function parsePdml(xml: string): PdmlNode {
  const root: PdmlNode = { tag: '#root', attrs: {}, children: [] };
  const stack = [root];
  const tagPattern = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.:-]+="[^"]*")*)\s*(\/?)>/g;
  for (const m of xml.matchAll(tagPattern)) {
    const [, closing, tag, attrText, selfClosing] = m as unknown as [string, string, string, string, string];
    if (closing) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(/([\w.:-]+)="([^"]*)"/g))
      attrs[a[1] as string] = unescapeXml(a[2] as string);
    const node: PdmlNode = { tag, attrs, children: [] };
    (stack[stack.length - 1] as PdmlNode).children.push(node);
    if (!selfClosing) stack.push(node);
  }
  return root;
}

function* walk(node: PdmlNode): Generator<PdmlNode> {
  yield node;
  for (const c of node.children) yield* walk(c);
}

/** Every field of this name anywhere under the node, in document order. */
export function pdmlFields(node: PdmlNode, name: string): PdmlNode[] {
  return [...walk(node)].filter((n) => n.attrs.name === name);
}

function field(node: PdmlNode, name: string): PdmlNode | undefined {
  for (const n of walk(node)) if (n.attrs.name === name) return n;
  return undefined;
}

/** A field's raw bytes, from its `value` attribute (hex). */
export function rawBytes(node: PdmlNode): number[] {
  const hex = node.attrs.value ?? '';
  const out: number[] = [];
  for (let i = 0; i + 1 < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

const littleEndian = (bytes: number[]): number => bytes.reduce((v, b, i) => v + b * 2 ** (8 * i), 0);

/** Runs tshark on a capture and returns its PDML tree, optionally for the packets a display filter keeps. */
export async function tsharkPdml(file: string, displayFilter?: string): Promise<PdmlNode> {
  const args = ['-r', file, '-T', 'pdml', ...(displayFilter ? ['-Y', displayFilter] : [])];
  const { stdout } = await run('tshark', args, { maxBuffer: 64 * 1024 * 1024 });
  return parsePdml(stdout);
}

/** Malformed-packet markers and expert infos of warning level or above, as tshark words them. */
export function tsharkProblems(pdml: PdmlNode): string[] {
  const problems: string[] = [];
  for (const n of walk(pdml)) {
    const name = n.attrs.name ?? '';
    if (name === '_ws.malformed' || (n.tag === 'proto' && name === '_ws.malformed')) {
      problems.push(n.attrs.showname ?? n.attrs.show ?? name);
    }
    if (name === '_ws.expert') {
      const severity = field(n, '_ws.expert.severity')?.attrs.show ?? '';
      // Severity values: chat 0x200000, note 0x400000, warning 0x600000, error 0x800000.
      if (Number(severity) >= 0x600000) problems.push(n.attrs.showname ?? n.attrs.show ?? name);
    }
  }
  return problems;
}

// ——— report descriptor as Wireshark items ———

export type HidOracleReportKind = 'input' | 'output' | 'feature';

export interface HidOracleMainItem {
  kind: HidOracleReportKind;
  /** Byte offset of the item in the descriptor. */
  offset: number;
  reportId: number;
  /** Extended usages (page << 16 | id), ranges expanded, as declared before the item. */
  usages: number[];
  /** The item's data bits (Data/Cnst, Ary/Var…). */
  flags: number;
}

export interface HidOracleCollection {
  /** Byte offset of the Collection item. */
  offset: number;
  /** Collection type (1 = Application). */
  type: number;
  usagePage: number;
  usage: number;
  children: HidOracleCollection[];
  /** Input/Output/Feature items Wireshark places in this collection (not in its children). */
  mainItems: HidOracleMainItem[];
}

export interface HidDescriptorOracleResult {
  /** Top-level collections, nested as Wireshark nests them. */
  collections: HidOracleCollection[];
  /** Every item Wireshark found, in order: offset, bType, bTag, and its label ("Usage (Keyboard)"). */
  items: { offset: number; type: number; tag: number; label: string }[];
  /** Usages of all Input items, in descriptor order (likewise Output and Feature). */
  inputUsages: number[];
  outputUsages: number[];
  featureUsages: number[];
  /** Report IDs Wireshark decoded, in order of appearance. */
  reportIds: number[];
  /** Malformed or expert warnings/errors anywhere in the capture: empty for a clean dissection. */
  problems: string[];
}

const MAIN_KINDS: Record<number, HidOracleReportKind> = { 0x8: 'input', 0x9: 'output', 0xb: 'feature' };
const MAX_RANGE = 0x10000;

/** Reads the HID Report descriptor response out of a capture's PDML; undefined when there is none. */
export function descriptorFromPdml(pdml: PdmlNode): Omit<HidDescriptorOracleResult, 'problems'> | undefined {
  let report: PdmlNode | undefined;
  let frameStart = 0;
  for (const packet of pdml.children.flatMap((c) => (c.tag === 'pdml' ? c.children : [c]))) {
    const proto = packet.children.find((p) => p.tag === 'proto' && p.attrs.name === 'usbhid');
    if (proto?.attrs.showname === 'HID Report') {
      report = proto;
      frameStart = Number(proto.attrs.pos ?? 0);
      break;
    }
  }
  if (!report) return undefined;

  const result: Omit<HidDescriptorOracleResult, 'problems'> = {
    collections: [],
    items: [],
    inputUsages: [],
    outputUsages: [],
    featureUsages: [],
    reportIds: [],
  };
  let usagePage = 0;
  const pageStack: number[] = [];
  let reportId = 0;
  let locals: number[] = [];
  let usageMinimum: { value: number; size: number } | undefined;
  const resolve = (value: number, size: number): number =>
    size === 4 ? value >>> 0 : ((usagePage & 0xffff) * 0x10000 + (value & 0xffff)) >>> 0;

  const visit = (node: PdmlNode, collection: HidOracleCollection | undefined): void => {
    for (const child of node.children) {
      const header = child.children.find((c) => c.attrs.show === 'Header');
      if (child.tag !== 'field' || child.attrs.name !== '' || !header) continue;
      const type = Number(field(header, 'usbhid.item.bType')?.attrs.show ?? -1);
      const tag = Number(field(header, 'usbhid.item.bTag')?.attrs.show ?? -1);
      const size = Number(field(header, 'usbhid.item.bSize')?.attrs.show ?? 0);
      const offset = Number(child.attrs.pos ?? 0) - frameStart;
      result.items.push({ offset, type, tag, label: child.attrs.show ?? '' });
      // The data bytes Wireshark assigns to the item: everything after the 1-byte prefix.
      const data = littleEndian(rawBytes(child).slice(1, 1 + (size === 3 ? 4 : size)));
      const dataSize = size === 3 ? 4 : size;
      if (type === 0) {
        const kind = MAIN_KINDS[tag];
        if (kind) {
          const item: HidOracleMainItem = { kind, offset, reportId, usages: locals, flags: data };
          collection?.mainItems.push(item);
          result[`${kind}Usages`].push(...locals);
        } else if (tag === 0xa) {
          const usage = locals[0] ?? (usagePage & 0xffff) * 0x10000;
          const opened: HidOracleCollection = {
            offset,
            type: data & 0xff,
            usagePage: Math.floor(usage / 0x10000),
            usage: usage & 0xffff,
            children: [],
            mainItems: [],
          };
          (collection ? collection.children : result.collections).push(opened);
          locals = [];
          usageMinimum = undefined;
          visit(child, opened);
          continue;
        }
        locals = [];
        usageMinimum = undefined;
      } else if (type === 1) {
        if (tag === 0x0) usagePage = data;
        else if (tag === 0x8) {
          reportId = data;
          result.reportIds.push(data);
        } else if (tag === 0xa) pageStack.push(usagePage);
        else if (tag === 0xb) usagePage = pageStack.pop() ?? usagePage;
      } else if (type === 2) {
        if (tag === 0x0) locals.push(resolve(data, dataSize));
        else if (tag === 0x1) usageMinimum = { value: data, size: dataSize };
        else if (tag === 0x2 && usageMinimum) {
          const from = resolve(usageMinimum.value, usageMinimum.size);
          const to = resolve(data, dataSize);
          for (let u = from; u <= to && u - from < MAX_RANGE; u++) locals.push(u);
          usageMinimum = undefined;
        }
      }
    }
  };
  visit(report, undefined);
  return result;
}

// ——— printed descriptors ———

/**
 * The bytes of a hex dump as `benchtwin describe --descriptor` prints it (lines of a hex offset, two
 * spaces, hex pairs), read independently of the formatter: the first run of such lines whose offsets
 * follow on. Undefined when the text has none or the offsets do not follow on.
 */
export function hexDumpBytes(text: string): Uint8Array | undefined {
  const bytes: number[] = [];
  let started = false;
  for (const line of text.split('\n')) {
    const m = /^([0-9A-Fa-f]{4,8}) {2}((?:[0-9A-Fa-f]{2})(?: [0-9A-Fa-f]{2})*)\s*$/.exec(line);
    if (!m) {
      if (started) break;
      continue;
    }
    if (parseInt(m[1] as string, 16) !== bytes.length) return undefined;
    started = true;
    for (const pair of (m[2] as string).split(' ')) bytes.push(parseInt(pair, 16));
  }
  return started ? Uint8Array.from(bytes) : undefined;
}

// ——— round trips ———

async function withCapture<T>(
  fn: UsbHidFunction,
  record: (capture: UsbHidCapture) => void,
  read: (file: string) => Promise<T>,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-hid-oracle-'));
  try {
    const file = path.join(dir, 'hid.pcapng');
    const capture = new UsbHidCapture({ file, clock: new VirtualClock(), function: fn });
    record(capture);
    capture.close();
    return await read(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ORACLE_VENDOR = 0x1209; // pid.codes, open-source hardware
const ORACLE_PRODUCT = 0x0001;

/**
 * What Wireshark's usbhid dissector reads in this report descriptor, after an enumeration capture.
 * Undefined when tshark is missing; throws when tshark runs but finds no HID Report descriptor.
 */
export async function hidDescriptorOracle(
  descriptor: Uint8Array,
  fn: Partial<UsbHidFunction> = {},
): Promise<HidDescriptorOracleResult | undefined> {
  if (!hasTshark) return undefined;
  const device: UsbHidFunction = { vendorId: ORACLE_VENDOR, productId: ORACLE_PRODUCT, ...fn, descriptor };
  return withCapture(
    device,
    () => {},
    async (file) => {
      const pdml = await tsharkPdml(file);
      const parsed = descriptorFromPdml(pdml);
      if (!parsed) throw new Error('tshark found no HID Report descriptor in the enumeration capture');
      return { ...parsed, problems: tsharkProblems(pdml) };
    },
  );
}

export interface HidOracleReport {
  /** usbhid.data.report_id, or undefined for a device without report IDs. */
  reportId: number | undefined;
  /** The report bytes as usbhid.data shows them. */
  data: number[];
  /** Usage fields Wireshark decoded in the report: usage ID (its page is the item's) and the raw field bytes. */
  usages: { usage: number; raw: number[] }[];
}

/**
 * Input reports (interrupt IN) as Wireshark's usbhid dissector decodes them after the enumeration of this
 * descriptor. Undefined when tshark is missing.
 */
export async function hidInputReportsOracle(
  descriptor: Uint8Array,
  reports: Uint8Array[],
  fn: Partial<UsbHidFunction> = {},
): Promise<{ reports: HidOracleReport[]; problems: string[] } | undefined> {
  if (!hasTshark) return undefined;
  const device: UsbHidFunction = { vendorId: ORACLE_VENDOR, productId: ORACLE_PRODUCT, ...fn, descriptor };
  return withCapture(
    device,
    (capture) => reports.forEach((r, i) => capture.inputReport(r, 10 * (i + 1))),
    async (file) => {
      const pdml = await tsharkPdml(file);
      const decoded: HidOracleReport[] = [];
      for (const n of walk(pdml)) {
        if (n.attrs.name !== 'usbhid.data') continue;
        const id = field(n, 'usbhid.data.report_id');
        decoded.push({
          reportId: id ? Number(id.attrs.show) : undefined,
          data: rawBytes(n),
          usages: n.children
            .filter((c) => c.attrs.name === 'usbhid.item.local.usage')
            .map((c) => ({ usage: Number(c.attrs.show), raw: rawBytes(c) })),
        });
      }
      return { reports: decoded, problems: tsharkProblems(pdml) };
    },
  );
}
