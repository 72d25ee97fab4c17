/**
 * Reads a SIM or UICC as a terminal does, over any ApduTransport (PC/SC now, a phone's AT+CSIM later), the
 * same way for a real card in a USB reader and for the emulated UIM:
 *   - command class: SELECT MF with CLA 00; a card that answers 6E00 speaks only GSM (CLA A0);
 *   - T=0 procedure bytes (61xx, 9Fxx, 6Cxx) completed here (t0.ts);
 *   - SELECT by path from the MF, READ BINARY / READ RECORD with sizes from the GSM response or the FCP;
 *   - VERIFY PIN with the tries left (63Cx on a UICC; 98xx and the DF status on a GSM SIM).
 * Contents are decoded with firmware-sim/uim/codecs.ts, the codec the emulated card encodes with.
 */
import {
  SW,
  decodeDiallingNumber,
  decodeDirRecord,
  decodeIccid,
  decodeImsi,
  decodeSpn,
  describeStatusWord,
  encodePinBlock,
  gsmRecordCount,
  parseFcp,
  parseGsmSelectResponse,
} from '../../../firmware-sim/uim/codecs.js';
import type {
  DiallingNumber,
  Fcp,
  FileStructure,
  GsmSelectResponse,
  ServiceProviderName,
} from '../../../firmware-sim/uim/codecs.js';
import type { ApduTransport } from './channel.js';
import { buildApdu, hexOf, transmitT0 } from './t0.js';
import type { ApduResponse } from './t0.js';

export type CommandClass = 'uicc' | 'gsm';

/** CLA of each command class. */
export const CLA: Record<CommandClass, number> = { uicc: 0x00, gsm: 0xa0 };

export const Ins = {
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  READ_RECORD: 0xb2,
  VERIFY: 0x20,
  GET_RESPONSE: 0xc0,
} as const;

/** File identifiers (TS 102 221 §13, TS 31.102 §4, TS 51.011 §10). */
export const Fid = {
  MF: 0x3f00,
  EF_DIR: 0x2f00,
  EF_ICCID: 0x2fe2,
  DF_TELECOM: 0x7f10,
  DF_GSM: 0x7f20,
  EF_IMSI: 0x6f07,
  EF_SPN: 0x6f46,
  EF_MSISDN: 0x6f40,
  EF_ADN: 0x6f3a,
} as const;

/** The RID + application code of a USIM (TS 101 220 annex E: A000000087 1002). */
export const USIM_AID_PREFIX = Uint8Array.of(0xa0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02);

/** A status word where the caller expected success. */
export class CardStatusError extends Error {
  override readonly name = 'CardStatusError';
  readonly sw: number;
  /** The access condition was not fulfilled: the file needs a verified PIN. */
  readonly needsPin: boolean;
  readonly notFound: boolean;

  constructor(what: string, sw: number) {
    super(`${what}: ${describeStatusWord(sw)}`);
    this.sw = sw;
    this.needsPin = sw === SW.SECURITY_STATUS_NOT_SATISFIED || sw === SW.GSM_ACCESS_CONDITION_NOT_FULFILLED;
    this.notFound =
      sw === SW.FILE_NOT_FOUND || sw === SW.GSM_FILE_NOT_FOUND || sw === SW.REFERENCED_DATA_NOT_FOUND;
  }
}

/** What SELECT told about a file, from the GSM GET RESPONSE or the UICC FCP. */
export interface FileInfo {
  fileId?: number;
  kind: 'mf' | 'df' | 'ef';
  structure?: FileStructure;
  /** EF size in bytes (record EFs: record length × count). */
  fileSize?: number;
  recordLength?: number;
  recordCount?: number;
  /** GSM only: the DF's CHV status. */
  gsm?: GsmSelectResponse;
  fcp?: Fcp;
  /** The response data as the card sent it. */
  raw: Uint8Array;
}

/** Where a file is: an application (ADF, by AID) or the MF, then file IDs down from there. */
export interface FileLocation {
  adf?: Uint8Array;
  path: readonly number[];
}

export interface PinState {
  /** Tries left before the PIN blocks (undefined when the card does not say). */
  triesLeft?: number;
  /** The PIN is verified in this session, or disabled (nothing to verify). */
  verified: boolean;
  /** False when the card says PIN checking is disabled. */
  enabled?: boolean;
  blocked: boolean;
  /** The status word the state was read from. */
  sw: number;
}

export interface VerifyResult extends PinState {
  /** True when this VERIFY succeeded. */
  ok: boolean;
}

export interface PhoneBookEntry extends DiallingNumber {
  /** Record number in EF_ADN (1-based). */
  record: number;
}

export interface SimReaderOptions {
  /** Skip detection and use this class. */
  commandClass?: CommandClass;
}

/** Largest chunk of READ BINARY: 255 rather than 256 (Le 00), which some readers and cards get wrong. */
const READ_CHUNK = 255;

export class SimReader {
  readonly transport: ApduTransport;
  private cls: CommandClass | undefined;
  private usimAidCache: Uint8Array | null | undefined;

  constructor(transport: ApduTransport, options: SimReaderOptions = {}) {
    this.transport = transport;
    this.cls = options.commandClass;
  }

  /** The command class, detected on first use. */
  async commandClass(): Promise<CommandClass> {
    if (this.cls) return this.cls;
    // UICC first: a UICC answers SELECT MF with 61xx (T=0) or 9000 + FCP; a GSM-only SIM rejects CLA 00.
    const uicc = await this.exchange('uicc', Ins.SELECT, 0x00, 0x04, u16(Fid.MF));
    const sw1 = uicc.sw >> 8;
    if (uicc.sw === SW.OK || sw1 === 0x61 || sw1 === 0x91) {
      this.cls = 'uicc';
      return this.cls;
    }
    const gsm = await this.exchange('gsm', Ins.SELECT, 0x00, 0x00, u16(Fid.MF));
    if (gsm.sw === SW.OK || gsm.sw >> 8 === 0x9f) {
      this.cls = 'gsm';
      return this.cls;
    }
    throw new CardStatusError(
      `the card answers SELECT MF with neither class (CLA 00: ${hexSw(uicc.sw)}, CLA A0)`,
      gsm.sw,
    );
  }

  /** One command in the card's class, completed through the T=0 procedure bytes. */
  async command(ins: number, p1: number, p2: number, data?: Uint8Array, le?: number): Promise<ApduResponse> {
    return this.exchange(await this.commandClass(), ins, p1, p2, data, le);
  }

  private exchange(
    cls: CommandClass,
    ins: number,
    p1: number,
    p2: number,
    data?: Uint8Array,
    le?: number,
  ): Promise<ApduResponse> {
    return transmitT0(this.transport, buildApdu(CLA[cls], ins, p1, p2, data, le), {
      getResponseCla: CLA[cls],
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Selection
  // -------------------------------------------------------------------------------------------------------

  /** SELECT by file ID (child of the current DF, or the MF, a parent or a sibling as ISO 7816-4 allows). */
  async select(fileId: number): Promise<FileInfo> {
    const cls = await this.commandClass();
    // UICC: P2 04 asks for the FCP. GSM: P2 00, the answer comes with GET RESPONSE after 9Fxx.
    const r = await this.command(Ins.SELECT, 0x00, cls === 'uicc' ? 0x04 : 0x00, u16(fileId));
    if (r.sw !== SW.OK) throw new CardStatusError(`SELECT ${hex4(fileId)}`, r.sw);
    return this.fileInfo(cls, r.data, fileId);
  }

  /** SELECT an application by AID (UICC only). */
  async selectAid(aid: Uint8Array): Promise<FileInfo> {
    const cls = await this.commandClass();
    if (cls !== 'uicc') throw new Error('a GSM SIM has no applications to select by AID');
    const r = await this.command(Ins.SELECT, 0x04, 0x04, aid);
    if (r.sw !== SW.OK) throw new CardStatusError(`SELECT AID ${hexOf(aid)}`, r.sw);
    return this.fileInfo(cls, r.data, undefined);
  }

  /** SELECT the MF (or the application), then each file ID of the path in turn; the last file's info. */
  async selectPath(location: FileLocation | readonly number[]): Promise<FileInfo> {
    const loc: FileLocation = isLocation(location) ? location : { path: location };
    let info = loc.adf ? await this.selectAid(loc.adf) : await this.select(Fid.MF);
    const path = !loc.adf && loc.path[0] === Fid.MF ? loc.path.slice(1) : loc.path;
    for (const fid of path) info = await this.select(fid);
    return info;
  }

  private fileInfo(cls: CommandClass, raw: Uint8Array, fileId: number | undefined): FileInfo {
    if (raw.length === 0) return fileId === undefined ? { kind: 'df', raw } : { fileId, kind: 'df', raw };
    if (cls === 'gsm') {
      const parsed = parseGsmSelectResponse(raw);
      if (!parsed.ok) throw new Error(`SELECT ${fileId === undefined ? '' : hex4(fileId)}: ${parsed.error}`);
      const g = parsed.value;
      if (g.kind !== 'ef') return { fileId: g.fileId, kind: g.kind, gsm: g, raw };
      return {
        fileId: g.fileId,
        kind: 'ef',
        structure: g.structure,
        fileSize: g.fileSize,
        recordLength: g.recordLength,
        recordCount: gsmRecordCount(g),
        gsm: g,
        raw,
      };
    }
    const parsed = parseFcp(raw);
    if (!parsed.ok) throw new Error(`SELECT ${fileId === undefined ? '' : hex4(fileId)}: ${parsed.error}`);
    const f = parsed.value;
    const id = f.fileId ?? fileId;
    const info: FileInfo = {
      kind: f.fileType === 'ef' ? 'ef' : id === Fid.MF ? 'mf' : 'df',
      fcp: f,
      raw,
    };
    if (id !== undefined) info.fileId = id;
    if (f.structure) info.structure = f.structure;
    if (f.recordLength !== undefined) info.recordLength = f.recordLength;
    if (f.recordCount !== undefined) info.recordCount = f.recordCount;
    if (f.fileSize !== undefined) info.fileSize = f.fileSize;
    else if (f.recordLength !== undefined && f.recordCount !== undefined) {
      info.fileSize = f.recordLength * f.recordCount;
    }
    return info;
  }

  // -------------------------------------------------------------------------------------------------------
  // Reading
  // -------------------------------------------------------------------------------------------------------

  /** READ BINARY of the selected transparent EF: `length` bytes from `offset`, in chunks. */
  async readBinary(length: number, offset = 0): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let at = 0;
    while (at < length) {
      const n = Math.min(READ_CHUNK, length - at);
      const pos = offset + at;
      if (pos > 0x7fff) throw new RangeError(`READ BINARY offset ${pos} exceeds 15 bits`);
      const r = await this.command(Ins.READ_BINARY, pos >> 8, pos & 0xff, undefined, n);
      if (r.sw !== SW.OK && r.sw !== SW.END_OF_FILE) {
        throw new CardStatusError(`READ BINARY at ${pos}`, r.sw);
      }
      out.set(r.data.subarray(0, n), at);
      if (r.data.length === 0 || r.sw === SW.END_OF_FILE) return out.subarray(0, at + r.data.length);
      at += Math.min(n, r.data.length);
    }
    return out;
  }

  /** READ RECORD `record` (1-based, absolute mode) of the selected record EF. */
  async readRecord(record: number, length: number): Promise<Uint8Array> {
    const r = await this.command(Ins.READ_RECORD, record, 0x04, undefined, length);
    if (r.sw !== SW.OK) throw new CardStatusError(`READ RECORD ${record}`, r.sw);
    return r.data;
  }

  /** Selects a transparent EF and reads all of it. */
  async readTransparent(location: FileLocation | readonly number[]): Promise<Uint8Array> {
    const info = await this.selectPath(location);
    if (info.kind !== 'ef') throw new Error(`${describeLocation(location)} is not an EF`);
    if (info.structure && info.structure !== 'transparent') {
      throw new Error(`${describeLocation(location)} is a ${info.structure} EF, not transparent`);
    }
    if (info.fileSize === undefined) {
      // No size in the answer: ask for 256 and let 6Cxx correct it.
      return this.readBinary(256);
    }
    return this.readBinary(info.fileSize);
  }

  /** Selects a record EF and reads every record (record length and count from SELECT's answer). */
  async readRecords(location: FileLocation | readonly number[]): Promise<Uint8Array[]> {
    const info = await this.selectPath(location);
    if (info.kind !== 'ef' || info.structure === 'transparent') {
      throw new Error(`${describeLocation(location)} is not a record EF`);
    }
    const length = info.recordLength ?? 0;
    const count = info.recordCount ?? 0;
    if (length === 0) throw new Error(`${describeLocation(location)}: SELECT gave no record length`);
    const out: Uint8Array[] = [];
    for (let n = 1; n <= count; n++) out.push(await this.readRecord(n, length));
    return out;
  }

  // -------------------------------------------------------------------------------------------------------
  // Contents
  // -------------------------------------------------------------------------------------------------------

  async readIccid(): Promise<string> {
    return unwrap('EF_ICCID', decodeIccid(await this.readTransparent([Fid.MF, Fid.EF_ICCID])));
  }

  /** The USIM application's AID from EF_DIR (UICC), or undefined (GSM SIM, or a UICC without USIM). */
  async usimAid(): Promise<Uint8Array | undefined> {
    if (this.usimAidCache !== undefined) return this.usimAidCache ?? undefined;
    this.usimAidCache = null;
    if ((await this.commandClass()) !== 'uicc') return undefined;
    let records: Uint8Array[];
    try {
      records = await this.readRecords([Fid.MF, Fid.EF_DIR]);
    } catch (err) {
      if (err instanceof CardStatusError && err.notFound) return undefined;
      throw err;
    }
    for (const record of records) {
      const app = decodeDirRecord(record);
      if (app.ok && app.value && startsWith(app.value.aid, USIM_AID_PREFIX)) {
        this.usimAidCache = app.value.aid;
        return app.value.aid;
      }
    }
    return undefined;
  }

  /** Where a GSM-era file of DF_GSM lives on this card: ADF USIM on a UICC that has one, else DF_GSM. */
  async subscriberFile(fid: number): Promise<FileLocation> {
    const aid = await this.usimAid();
    return aid ? { adf: aid, path: [fid] } : { path: [Fid.MF, Fid.DF_GSM, fid] };
  }

  /** EF_IMSI; needs the PIN when PIN checking is enabled. */
  async readImsi(): Promise<string> {
    return unwrap('EF_IMSI', decodeImsi(await this.readTransparent(await this.subscriberFile(Fid.EF_IMSI))));
  }

  async readSpn(): Promise<ServiceProviderName> {
    return unwrap('EF_SPN', decodeSpn(await this.readTransparent(await this.subscriberFile(Fid.EF_SPN))));
  }

  /** EF_MSISDN: the subscriber's own numbers (empty records left out). */
  async readMsisdn(): Promise<DiallingNumber[]> {
    const aid = await this.usimAid();
    const location = aid ? { adf: aid, path: [Fid.EF_MSISDN] } : [Fid.MF, Fid.DF_TELECOM, Fid.EF_MSISDN];
    return (await this.readRecords(location))
      .map((r, i) => unwrap(`EF_MSISDN record ${i + 1}`, decodeDiallingNumber(r)))
      .filter((r): r is DiallingNumber => r !== null);
  }

  /**
   * The phone book: EF_ADN under DF_TELECOM (the GSM location, which UICCs keep as well), non-empty
   * records with their numbers. A record that does not decode is skipped rather than failing the book.
   */
  async readPhoneBook(): Promise<PhoneBookEntry[]> {
    const records = await this.readRecords([Fid.MF, Fid.DF_TELECOM, Fid.EF_ADN]);
    const out: PhoneBookEntry[] = [];
    records.forEach((r, i) => {
      const d = decodeDiallingNumber(r);
      if (d.ok && d.value) out.push({ ...d.value, record: i + 1 });
    });
    return out;
  }

  // -------------------------------------------------------------------------------------------------------
  // PIN
  // -------------------------------------------------------------------------------------------------------

  /**
   * The PIN's state without using up a try. UICC: VERIFY without data (TS 102 221 §11.1.9) in the USIM
   * (or at the MF) → 63Cx / 9000 / 6983. GSM: the CHV1 status byte of DF_GSM's GET RESPONSE.
   */
  async pinStatus(keyReference = 0x01): Promise<PinState> {
    const cls = await this.commandClass();
    if (cls === 'gsm') {
      const info = await this.selectPath([Fid.MF, Fid.DF_GSM]);
      const g = info.gsm;
      if (!g || g.kind === 'ef') throw new Error('DF_GSM answered SELECT without a DF status');
      const chv = keyReference === 0x02 ? g.chv2 : g.chv1;
      // Byte 14 b8 = 1: CHV1 disabled (TS 51.011 §9.2.1).
      const enabled = keyReference === 0x02 || (g.characteristics & 0x80) === 0;
      return {
        triesLeft: chv.remaining,
        verified: !enabled,
        enabled,
        blocked: chv.remaining === 0,
        sw: SW.OK,
      };
    }
    await this.enterPinContext();
    const r = await this.command(Ins.VERIFY, 0x00, keyReference);
    return uiccPinState(r.sw, 'PIN status');
  }

  /** VERIFY PIN (CHV1 / PIN Appl 1 by default). A wrong PIN is a result, not an exception. */
  async verifyPin(pin: string, keyReference = 0x01): Promise<VerifyResult> {
    const cls = await this.commandClass();
    const block = encodePinBlock(pin);
    if (cls === 'gsm') {
      // CHV1 is checked in the context of DF_GSM, whose status tells the tries left afterwards.
      await this.selectPath([Fid.MF, Fid.DF_GSM]);
      const r = await this.command(Ins.VERIFY, 0x00, keyReference, block);
      const status = await this.pinStatus(keyReference).catch(() => undefined);
      const base = { triesLeft: status?.triesLeft, sw: r.sw };
      if (r.sw === SW.OK) return { ...base, ok: true, verified: true, enabled: true, blocked: false };
      if (r.sw === SW.GSM_CHV_BLOCKED)
        return { ...base, ok: false, verified: false, blocked: true, triesLeft: 0 };
      if (r.sw === SW.GSM_CONTRADICTION_WITH_CHV_STATUS) {
        // CHV1 disabled: nothing to verify.
        return { ...base, ok: false, verified: status?.verified ?? false, enabled: false, blocked: false };
      }
      if (r.sw === SW.GSM_ACCESS_CONDITION_NOT_FULFILLED) {
        return { ...base, ok: false, verified: false, blocked: status?.blocked ?? false };
      }
      throw new CardStatusError('VERIFY CHV', r.sw);
    }
    await this.enterPinContext();
    const r = await this.command(Ins.VERIFY, 0x00, keyReference, block);
    return { ...uiccPinState(r.sw, 'VERIFY PIN'), ok: r.sw === SW.OK };
  }

  /** PIN Appl 1 belongs to the USIM: select it (or the MF on a UICC without one). */
  private async enterPinContext(): Promise<void> {
    const aid = await this.usimAid();
    if (aid) await this.selectAid(aid);
    else await this.select(Fid.MF);
  }
}

/** The PIN state a UICC's answer to VERIFY tells (TS 102 221 §11.1.9); other status words are errors. */
function uiccPinState(sw: number, what: string): PinState {
  if (sw === SW.OK) return { verified: true, blocked: false, sw };
  if (sw >> 4 === 0x63c) {
    const tries = sw & 0x0f;
    return { triesLeft: tries, verified: false, enabled: true, blocked: tries === 0, sw };
  }
  if (sw === SW.AUTH_METHOD_BLOCKED)
    return { triesLeft: 0, verified: false, enabled: true, blocked: true, sw };
  if (sw === SW.REFERENCED_DATA_INVALIDATED) return { verified: false, enabled: false, blocked: false, sw };
  throw new CardStatusError(what, sw);
}

function unwrap<T>(what: string, r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(`${what}: ${r.error}`);
  return r.value;
}

function isLocation(x: FileLocation | readonly number[]): x is FileLocation {
  return !Array.isArray(x);
}

export function describeLocation(location: FileLocation | readonly number[]): string {
  const loc: FileLocation = isLocation(location) ? location : { path: location };
  const path = loc.path.map(hex4).join('/');
  return loc.adf ? `ADF ${hexOf(loc.adf)}/${path}` : path;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

function hexSw(sw: number): string {
  return hex4(sw);
}
