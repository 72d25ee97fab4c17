/**
 * The handset's side of the UIM interface: what the phone's baseband does with the card behind the AT
 * commands. It speaks to the card only through `SmartCard`, finds out at power-on which command class the
 * card answers (CLA 00 UICC first, then CLA A0 GSM, as a handset does), selects the USIM application from
 * EF_DIR on a UICC, and maps PIN handling to VERIFY/CHANGE/DISABLE/ENABLE/UNBLOCK CHV.
 */
import type { SmartCard } from '../uim/card.js';
import {
  decodeDiallingNumber,
  decodeDirRecord,
  decodeIccid,
  decodeImsi,
  encodePinBlock,
  parseFcp,
  parseGsmSelectResponse,
  SW,
} from '../uim/codecs.js';
import type { DiallingNumber } from '../uim/codecs.js';

export type UimDialect = 'gsm' | 'uicc';

/** What +CPIN? reports, plus the two states it cannot name. */
export type PinState = 'READY' | 'SIM PIN' | 'SIM PUK' | 'BLOCKED' | 'FAILURE';

/** A response APDU split into data and status word. */
export interface CardReply {
  data: Uint8Array;
  sw: number;
}

/** USIM application code prefix of the 3GPP RID (TS 101 220 annex E). */
const USIM_AID_PREFIX = Uint8Array.of(0xa0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02);

export const FileId = {
  MF: 0x3f00,
  DF_TELECOM: 0x7f10,
  DF_GSM: 0x7f20,
  ADF: 0x7fff,
  EF_DIR: 0x2f00,
  EF_ICCID: 0x2fe2,
  EF_IMSI: 0x6f07,
  EF_MSISDN: 0x6f40,
  EF_SMS: 0x6f3c,
  EF_SMSP: 0x6f42,
} as const;

/** EFs of DF_TELECOM (TS 51.011 §10.5); other 6Fxx EFs live in DF_GSM / ADF USIM. */
const TELECOM_EFS = new Set([0x6f3a, 0x6f3b, 0x6f3c, 0x6f3d, 0x6f40, 0x6f42, 0x6f43, 0x6f44, 0x6f47, 0x6f49]);

export const isOk = (sw: number): boolean => sw === SW.OK || sw >> 8 === 0x91;
/** A wrong code with attempts left (63Cx with x > 0, GSM 9804). */
export const isWrongCode = (sw: number): boolean => (sw & 0xfff0) === 0x63c0 || sw === 0x9804;
/** A blocked code (6983, GSM 9840, or 63C0). */
export const isBlocked = (sw: number): boolean => sw === 0x6983 || sw === 0x9840 || sw === 0x63c0;

function commandApdu(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, le?: number) {
  const parts = [cla, ins, p1, p2];
  if (data && data.length > 0) parts.push(data.length, ...data);
  if (le !== undefined) parts.push(le & 0xff);
  return Uint8Array.from(parts);
}

export class UimAccess {
  private dialectValue: UimDialect | undefined;
  private usimAid: Uint8Array | undefined;

  constructor(readonly card: SmartCard) {}

  get dialect(): UimDialect | undefined {
    return this.dialectValue;
  }

  get powered(): boolean {
    return this.card.powered;
  }

  /** Powers the card and finds its command class; returns false when it answers neither class. */
  powerOn(): boolean {
    this.card.powerOn();
    this.dialectValue = undefined;
    this.usimAid = undefined;
    const uicc = this.tx(Uint8Array.of(0x00, 0xa4, 0x00, 0x04, 0x02, 0x3f, 0x00));
    if (uicc.sw >> 8 === 0x61 || uicc.sw === SW.OK) {
      this.dialectValue = 'uicc';
      this.usimAid = this.findUsim();
      // The USIM becomes the current application, as a handset activates it at start-up.
      if (this.usimAid) this.apdu(0xa4, 0x04, 0x0c, this.usimAid);
      return true;
    }
    const gsm = this.tx(Uint8Array.of(0xa0, 0xa4, 0x00, 0x00, 0x02, 0x3f, 0x00));
    if (gsm.sw >> 8 === 0x9f || gsm.sw === SW.OK) {
      this.dialectValue = 'gsm';
      return true;
    }
    return false;
  }

  powerOff(): void {
    this.card.powerOff();
    this.dialectValue = undefined;
  }

  /** One APDU, unchanged (AT+CSIM). */
  transmit(apdu: Uint8Array): Uint8Array {
    return this.card.transmit(apdu);
  }

  private get cla(): number {
    return this.dialectValue === 'gsm' ? 0xa0 : 0x00;
  }

  private tx(apdu: Uint8Array): CardReply {
    const r = this.card.transmit(apdu);
    if (r.length < 2) return { data: new Uint8Array(0), sw: SW.TECHNICAL_PROBLEM };
    return { data: r.slice(0, -2), sw: (r[r.length - 2]! << 8) | r[r.length - 1]! };
  }

  /** A command APDU from its parts (short form). */
  apdu(ins: number, p1: number, p2: number, data?: Uint8Array, le?: number, cla = this.cla): CardReply {
    return this.tx(commandApdu(cla, ins, p1, p2, data, le));
  }

  /**
   * Lets the card prepare the slow part of a command it is about to get (SmartCard.prepare) without
   * blocking; send the command with apdu() afterwards, with the same parts.
   */
  async prepare(ins: number, p1: number, p2: number, data?: Uint8Array, le?: number, cla = this.cla) {
    await this.card.prepare?.(commandApdu(cla, ins, p1, p2, data, le));
  }

  /** Fetches data a case-4 command announced with 61xx / 9Fxx. */
  private fetch(r: CardReply): CardReply {
    let sw = r.sw;
    const chunks: number[] = [...r.data];
    while (sw >> 8 === 0x61 || sw >> 8 === 0x9f) {
      const g = this.apdu(0xc0, 0, 0, undefined, sw & 0xff);
      chunks.push(...g.data);
      sw = g.sw;
    }
    return { data: Uint8Array.from(chunks), sw };
  }

  private findUsim(): Uint8Array | undefined {
    const sel = this.apdu(0xa4, 0x00, 0x04, u16(FileId.EF_DIR));
    const fcp = this.fetch(sel);
    if (!isOk(fcp.sw)) return undefined;
    const parsed = parseFcp(fcp.data);
    const count = parsed.ok ? (parsed.value.recordCount ?? 0) : 0;
    const length = parsed.ok ? (parsed.value.recordLength ?? 0) : 0;
    for (let n = 1; n <= count; n++) {
      const rec = this.apdu(0xb2, n, 0x04, undefined, length);
      if (!isOk(rec.sw)) break;
      const app = decodeDirRecord(rec.data);
      if (app.ok && app.value && startsWith(app.value.aid, USIM_AID_PREFIX)) return app.value.aid;
    }
    return undefined;
  }

  /**
   * Selects a file by its path from the MF (FIDs, the MF itself may lead), with or without the select
   * response. `viaAdf` starts from the USIM application (7FFF) on a UICC.
   */
  selectPath(path: readonly number[], withResponse = false): CardReply {
    const p = path[0] === FileId.MF ? path.slice(1) : [...path];
    if (this.dialectValue === 'uicc') {
      if (p[0] === FileId.ADF) {
        if (!this.usimAid) return { data: new Uint8Array(0), sw: SW.FILE_NOT_FOUND };
        const adf = this.apdu(0xa4, 0x04, 0x0c, this.usimAid);
        if (!isOk(adf.sw)) return adf;
      }
      if (p.length === 0) {
        const r = this.apdu(0xa4, 0x00, withResponse ? 0x04 : 0x0c, u16(FileId.MF));
        return withResponse ? this.fetch(r) : r;
      }
      const data = Uint8Array.from(p.flatMap((f) => [f >> 8, f & 0xff]));
      const r = this.apdu(0xa4, 0x08, withResponse ? 0x04 : 0x0c, data);
      return withResponse ? this.fetch(r) : r;
    }
    let r: CardReply = { data: new Uint8Array(0), sw: SW.OK };
    for (const fid of [FileId.MF, ...p]) {
      r = this.apdu(0xa4, 0x00, 0x00, u16(fid));
      if (r.sw >> 8 !== 0x9f && !isOk(r.sw)) return r;
    }
    return withResponse ? this.fetch(r) : { data: new Uint8Array(0), sw: SW.OK };
  }

  /** Where the handset looks for an EF given only its FID (AT+CRSM without <pathid>). */
  candidatePaths(fid: number): number[][] {
    if (fid === FileId.MF) return [[]];
    if (fid >> 8 === 0x2f) return [[fid]];
    if (fid >> 8 === 0x7f) return [[fid]];
    const telecom = [FileId.DF_TELECOM, fid];
    const gsm = [FileId.DF_GSM, fid];
    if (this.dialectValue === 'uicc') {
      const adf = [FileId.ADF, fid];
      return TELECOM_EFS.has(fid) ? [adf, telecom] : [adf, gsm, telecom];
    }
    return TELECOM_EFS.has(fid) ? [telecom] : [gsm, telecom];
  }

  /** Selects an EF by FID alone, trying where it usually lives; the select status word of the last try. */
  selectFile(fid: number, withResponse = false): CardReply {
    let r: CardReply = { data: new Uint8Array(0), sw: SW.FILE_NOT_FOUND };
    for (const path of this.candidatePaths(fid)) {
      r = this.selectPath(path, withResponse);
      if (isOk(r.sw)) return r;
    }
    return r;
  }

  /** Record length and count of the selected record EF from its select response. */
  private recordShape(resp: Uint8Array): { length: number; count: number } | undefined {
    if (this.dialectValue === 'gsm') {
      const g = parseGsmSelectResponse(resp);
      if (!g.ok || g.value.kind !== 'ef' || g.value.recordLength === 0) return undefined;
      return { length: g.value.recordLength, count: Math.floor(g.value.fileSize / g.value.recordLength) };
    }
    const f = parseFcp(resp);
    if (!f.ok || !f.value.recordLength) return undefined;
    return { length: f.value.recordLength, count: f.value.recordCount ?? 0 };
  }

  /** READ BINARY of a whole small EF selected by FID. */
  readTransparent(fid: number, length: number): CardReply {
    const s = this.selectFile(fid);
    if (!isOk(s.sw)) return s;
    return this.apdu(0xb0, 0, 0, undefined, length);
  }

  // ----- record files (EF_SMS, EF_ADN, …) -------------------------------------------------------------

  /** Selects a linear-fixed EF by FID and tells its record length and count. */
  recordFile(fid: number): { length: number; count: number; sw: number } {
    const s = this.selectFile(fid, true);
    if (!isOk(s.sw)) return { length: 0, count: 0, sw: s.sw };
    const shape = this.recordShape(s.data);
    return shape ? { ...shape, sw: s.sw } : { length: 0, count: 0, sw: SW.TECHNICAL_PROBLEM };
  }

  /** READ RECORD n (absolute) of a linear-fixed EF. */
  readRecord(fid: number, n: number): CardReply {
    const f = this.recordFile(fid);
    if (!isOk(f.sw)) return { data: new Uint8Array(0), sw: f.sw };
    return this.apdu(0xb2, n, 0x04, undefined, f.length);
  }

  /** UPDATE RECORD n (absolute); `data` must be one whole record. Returns the status word. */
  updateRecord(fid: number, n: number, data: Uint8Array): number {
    const f = this.recordFile(fid);
    if (!isOk(f.sw)) return f.sw;
    return this.apdu(0xdc, n, 0x04, data).sw;
  }

  // ----- identity ------------------------------------------------------------------------------------

  readIccid(): string | undefined {
    const r = this.readTransparent(FileId.EF_ICCID, 10);
    const d = isOk(r.sw) ? decodeIccid(r.data) : undefined;
    return d?.ok ? d.value : undefined;
  }

  /** The IMSI, or the status word that refused it (PIN not verified: 6982 / 9804). */
  readImsi(): { imsi?: string; sw: number } {
    const r = this.readTransparent(FileId.EF_IMSI, 9);
    if (!isOk(r.sw)) return { sw: r.sw };
    const d = decodeImsi(r.data);
    return d.ok ? { imsi: d.value, sw: r.sw } : { sw: SW.TECHNICAL_PROBLEM };
  }

  /** The own numbers in EF_MSISDN (empty records skipped). */
  readMsisdn(): { numbers: DiallingNumber[]; sw: number } {
    const s = this.selectFile(FileId.EF_MSISDN, true);
    if (!isOk(s.sw)) return { numbers: [], sw: s.sw };
    const shape = this.recordShape(s.data);
    if (!shape) return { numbers: [], sw: SW.TECHNICAL_PROBLEM };
    const numbers: DiallingNumber[] = [];
    for (let n = 1; n <= shape.count; n++) {
      const r = this.apdu(0xb2, n, 0x04, undefined, shape.length);
      if (!isOk(r.sw)) return { numbers, sw: r.sw };
      const d = decodeDiallingNumber(r.data);
      if (d.ok && d.value) numbers.push(d.value);
    }
    return { numbers, sw: SW.OK };
  }

  // ----- secret codes ---------------------------------------------------------------------------------

  /** P2 of a code: CHV1/PIN1 01; CHV2 02 (GSM) or key reference 81 (UICC). */
  private codeP2(code: 'PIN1' | 'PIN2'): number {
    if (code === 'PIN1') return 0x01;
    return this.dialectValue === 'gsm' ? 0x02 : 0x81;
  }

  /** GSM: the 22-byte MF structure with the code status bytes. */
  private gsmMfStatus() {
    const r = this.selectPath([FileId.MF], true);
    if (!isOk(r.sw)) return undefined;
    const g = parseGsmSelectResponse(r.data);
    return g.ok && g.value.kind !== 'ef' ? g.value : undefined;
  }

  /** Whether PIN1 is enabled (asked for at power-on), from the MF's status. */
  pin1Enabled(): boolean | undefined {
    if (this.dialectValue === 'gsm') {
      const s = this.gsmMfStatus();
      return s ? (s.characteristics & 0x80) === 0 : undefined;
    }
    const r = this.selectPath([FileId.MF], true);
    if (!isOk(r.sw)) return undefined;
    const f = parseFcp(r.data);
    const pin = f.ok ? f.value.pinStatus?.find((p) => p.keyReference === 0x01) : undefined;
    return pin?.enabled;
  }

  /** Remaining attempts of PIN1 and its PUK (UICC: empty VERIFY/UNBLOCK; GSM: MF status bytes). */
  retries(): { pin1?: number; puk1?: number; pin2?: number; puk2?: number } {
    if (this.dialectValue === 'gsm') {
      const s = this.gsmMfStatus();
      if (!s) return {};
      return {
        pin1: s.chv1.remaining,
        puk1: s.unblockChv1.remaining,
        pin2: s.chv2.remaining,
        puk2: s.unblockChv2.remaining,
      };
    }
    const count = (sw: number): number | undefined =>
      (sw & 0xfff0) === 0x63c0 ? sw & 0x0f : sw === 0x6983 ? 0 : undefined;
    return {
      pin1: count(this.apdu(0x20, 0, 0x01).sw),
      puk1: count(this.apdu(0x2c, 0, 0x01).sw),
      pin2: count(this.apdu(0x20, 0, 0x81).sw),
      puk2: count(this.apdu(0x2c, 0, 0x81).sw),
    };
  }

  /** The state +CPIN? reports, asked of the card each time (a PIN may also be verified over +CSIM). */
  pinState(): PinState {
    if (!this.dialectValue) return 'FAILURE';
    if (this.dialectValue === 'uicc') {
      const v = this.apdu(0x20, 0, 0x01).sw;
      if (v === SW.OK) return 'READY';
      if ((v & 0xfff0) === 0x63c0 && (v & 0x0f) > 0) return 'SIM PIN';
      if (isBlocked(v)) {
        const u = this.apdu(0x2c, 0, 0x01).sw;
        return (u & 0xfff0) === 0x63c0 && (u & 0x0f) > 0 ? 'SIM PUK' : 'BLOCKED';
      }
      return 'FAILURE';
    }
    const s = this.gsmMfStatus();
    if (!s) return 'FAILURE';
    if (s.chv1.remaining === 0) return s.unblockChv1.remaining > 0 ? 'SIM PUK' : 'BLOCKED';
    if (s.characteristics & 0x80) return 'READY';
    // GSM has no "is CHV1 verified" query: try a file that needs it.
    const r = this.readTransparent(FileId.EF_IMSI, 9);
    if (isOk(r.sw)) return 'READY';
    return r.sw === 0x9804 ? 'SIM PIN' : 'FAILURE';
  }

  verify(code: 'PIN1' | 'PIN2', pin: string): number {
    return this.apdu(0x20, 0, this.codeP2(code), encodePinBlock(pin)).sw;
  }

  /** UNBLOCK CHV (GSM P2 00 for CHV1). */
  unblock(code: 'PIN1' | 'PIN2', puk: string, newPin: string): number {
    const p2 = this.dialectValue === 'gsm' && code === 'PIN1' ? 0x00 : this.codeP2(code);
    return this.apdu(0x2c, 0, p2, concat(encodePinBlock(puk), encodePinBlock(newPin))).sw;
  }

  change(code: 'PIN1' | 'PIN2', oldPin: string, newPin: string): number {
    return this.apdu(0x24, 0, this.codeP2(code), concat(encodePinBlock(oldPin), encodePinBlock(newPin))).sw;
  }

  /** ENABLE CHV (28) / DISABLE CHV (26) of PIN1. */
  setPin1Enabled(enable: boolean, pin: string): number {
    return this.apdu(enable ? 0x28 : 0x26, 0, 0x01, encodePinBlock(pin)).sw;
  }
}

const u16 = (n: number): Uint8Array => Uint8Array.of((n >> 8) & 0xff, n & 0xff);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function startsWith(a: Uint8Array, prefix: Uint8Array): boolean {
  return a.length >= prefix.length && prefix.every((b, i) => a[i] === b);
}
