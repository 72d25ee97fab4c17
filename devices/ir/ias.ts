/**
 * The IAS information base (IrLMP 1.1 §4.7): objects of a class with named attributes, queried over an
 * LM-MUX connection to LSAP 0. Each IAS frame starts with a control byte (bit 7 Last, bit 6 Ack,
 * bits 0-5 opcode); GetValueByClass (opcode 4) asks for one attribute of every object of a class.
 */
import { LM_REASON, LSAP_IAS, type IrlmpMux, type LsapConnection, type LsapService } from './irlmp.js';

export const IAS_GET_VALUE_BY_CLASS = 0x04;
const IAS_LAST = 0x80;
const IAS_ACK = 0x40;

export const IAS_SUCCESS = 0x00;
export const IAS_NO_SUCH_CLASS = 0x01;
export const IAS_NO_SUCH_ATTRIBUTE = 0x02;
export const IAS_UNSUPPORTED = 0xff;

export type IasValue =
  | { type: 'missing' }
  | { type: 'integer'; value: number }
  | { type: 'octets'; value: Uint8Array }
  | { type: 'string'; charset: number; value: string };

export interface IasEntry {
  objectId: number;
  value: IasValue;
}

export interface IasObject {
  className: string;
  objectId: number;
  attributes: Map<string, IasValue>;
}

export interface IasAnswer {
  returnCode: number;
  entries: IasEntry[];
}

export class IasDatabase {
  private readonly objects: IasObject[] = [];
  private nextId = 0;

  add(className: string, attributes: Record<string, IasValue>): IasObject {
    const obj = { className, objectId: this.nextId++, attributes: new Map(Object.entries(attributes)) };
    this.objects.push(obj);
    return obj;
  }

  getValueByClass(className: string, attribute: string): IasAnswer {
    const ofClass = this.objects.filter((o) => o.className === className);
    if (ofClass.length === 0) return { returnCode: IAS_NO_SUCH_CLASS, entries: [] };
    const entries = ofClass.flatMap((o) => {
      const value = o.attributes.get(attribute);
      return value ? [{ objectId: o.objectId, value }] : [];
    });
    if (entries.length === 0) return { returnCode: IAS_NO_SUCH_ATTRIBUTE, entries: [] };
    return { returnCode: IAS_SUCCESS, entries };
  }
}

/** The objects every IrDA device has, plus an OBEX service at `obexLsap`. */
export function standardIasDatabase(deviceName: string, obexLsap?: number): IasDatabase {
  const db = new IasDatabase();
  db.add('Device', {
    DeviceName: { type: 'string', charset: 0, value: deviceName },
    IrLMPSupport: { type: 'octets', value: Uint8Array.from([0x01, 0x00, 0x00]) },
  });
  if (obexLsap !== undefined) {
    db.add('OBEX', { 'IrDA:TinyTP:LsapSel': { type: 'integer', value: obexLsap } });
  }
  return db;
}

export function encodeGetValueByClass(className: string, attribute: string): Uint8Array {
  const c = Buffer.from(className, 'latin1').subarray(0, 60);
  const a = Buffer.from(attribute, 'latin1').subarray(0, 60);
  return Uint8Array.from([IAS_LAST | IAS_GET_VALUE_BY_CLASS, c.length, ...c, a.length, ...a]);
}

export type IasRequestParse =
  { ok: true; className: string; attribute: string } | { ok: false; opcode: number; error: string };

export function parseIasRequest(b: Uint8Array): IasRequestParse {
  const opcode = (b[0] ?? 0) & 0x3f;
  if (b.length < 1) return { ok: false, opcode, error: 'empty IAS frame' };
  if (opcode !== IAS_GET_VALUE_BY_CLASS)
    return { ok: false, opcode, error: `IAS opcode ${opcode} not supported` };
  const cl = b[1];
  if (cl === undefined || b.length < 2 + cl + 1) return { ok: false, opcode, error: 'truncated class name' };
  const al = b[2 + cl]!;
  if (b.length < 3 + cl + al) return { ok: false, opcode, error: 'truncated attribute name' };
  return {
    ok: true,
    className: Buffer.from(b.subarray(2, 2 + cl)).toString('latin1'),
    attribute: Buffer.from(b.subarray(3 + cl, 3 + cl + al)).toString('latin1'),
  };
}

function encodeValue(v: IasValue): number[] {
  switch (v.type) {
    case 'missing':
      return [0x00];
    case 'integer':
      return [0x01, (v.value >>> 24) & 0xff, (v.value >>> 16) & 0xff, (v.value >>> 8) & 0xff, v.value & 0xff];
    case 'octets':
      return [0x02, v.value.length >>> 8, v.value.length & 0xff, ...v.value];
    case 'string': {
      const s = Buffer.from(v.value, 'latin1').subarray(0, 255);
      return [0x03, v.charset, s.length, ...s];
    }
  }
}

export function encodeIasResponse(opcode: number, answer: IasAnswer): Uint8Array {
  const out = [IAS_LAST | (opcode & 0x3f), answer.returnCode];
  if (answer.returnCode === IAS_SUCCESS) {
    out.push(answer.entries.length >>> 8, answer.entries.length & 0xff);
    for (const e of answer.entries) out.push(e.objectId >>> 8, e.objectId & 0xff, ...encodeValue(e.value));
  }
  return Uint8Array.from(out);
}

export type IasResponseParse = { ok: true; last: boolean; answer: IasAnswer } | { ok: false; error: string };

export function parseIasResponse(b: Uint8Array): IasResponseParse {
  if (b.length < 2) return { ok: false, error: 'IAS response too short' };
  const last = (b[0]! & IAS_LAST) !== 0;
  const returnCode = b[1]!;
  if (returnCode !== IAS_SUCCESS) return { ok: true, last, answer: { returnCode, entries: [] } };
  if (b.length < 4) return { ok: false, error: 'IAS response without a list length' };
  const count = (b[2]! << 8) | b[3]!;
  const entries: IasEntry[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 3 > b.length) return { ok: false, error: `IAS entry ${i} truncated` };
    const objectId = (b[at]! << 8) | b[at + 1]!;
    const type = b[at + 2]!;
    at += 3;
    let value: IasValue;
    if (type === 0) value = { type: 'missing' };
    else if (type === 1) {
      if (at + 4 > b.length) return { ok: false, error: 'IAS integer truncated' };
      value = {
        type: 'integer',
        value: ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0,
      };
      at += 4;
    } else if (type === 2) {
      if (at + 2 > b.length) return { ok: false, error: 'IAS octet sequence truncated' };
      const n = (b[at]! << 8) | b[at + 1]!;
      if (at + 2 + n > b.length) return { ok: false, error: 'IAS octet sequence truncated' };
      value = { type: 'octets', value: Uint8Array.from(b.subarray(at + 2, at + 2 + n)) };
      at += 2 + n;
    } else if (type === 3) {
      if (at + 2 > b.length) return { ok: false, error: 'IAS user string truncated' };
      const charset = b[at]!;
      const n = b[at + 1]!;
      if (at + 2 + n > b.length) return { ok: false, error: 'IAS user string truncated' };
      value = {
        type: 'string',
        charset,
        value: Buffer.from(b.subarray(at + 2, at + 2 + n)).toString('latin1'),
      };
      at += 2 + n;
    } else return { ok: false, error: `IAS value type ${type} unknown` };
    entries.push({ objectId, value });
  }
  return { ok: true, last, answer: { returnCode, entries } };
}

/** Answers GetValueByClass on LSAP 0; any other opcode gets return code 0xFF (unsupported). */
export class IasServer implements LsapService {
  constructor(readonly db: IasDatabase) {}

  connectIndication(conn: LsapConnection): { accept: true } {
    conn.onData = (data) => {
      if (data.length > 0 && data[0]! & IAS_ACK) return; // acks of multi-frame answers: ours fit one frame
      const req = parseIasRequest(data);
      const answer = req.ok
        ? this.db.getValueByClass(req.className, req.attribute)
        : { returnCode: IAS_UNSUPPORTED, entries: [] };
      let reply = encodeIasResponse(req.ok ? IAS_GET_VALUE_BY_CLASS : req.opcode, answer);
      if (reply.length > conn.maxData) {
        reply = encodeIasResponse(IAS_GET_VALUE_BY_CLASS, {
          returnCode: IAS_SUCCESS,
          entries: answer.entries.slice(0, 1),
        });
      }
      conn.send(reply);
    };
    return { accept: true };
  }
}

/** IAS client: connect to LSAP 0, ask, disconnect (IrLMP §4.7.1). */
export async function iasGetValueByClass(
  mux: IrlmpMux,
  className: string,
  attribute: string,
): Promise<IasAnswer> {
  const conn = await mux.connect(LSAP_IAS);
  try {
    return await new Promise<IasAnswer>((resolve, reject) => {
      // A long answer spans frames: the bytes after each control byte concatenate (IrLMP §4.7.3).
      const parts: Uint8Array[] = [];
      conn.onData = (data) => {
        if (data.length < 1) return reject(new Error('IAS: empty frame'));
        parts.push(data.subarray(1));
        if (!(data[0]! & IAS_LAST))
          return void conn.send(Uint8Array.from([IAS_ACK | IAS_GET_VALUE_BY_CLASS]));
        const r = parseIasResponse(Uint8Array.from([data[0]!, ...Buffer.concat(parts)]));
        if (r.ok) resolve(r.answer);
        else reject(new Error(`IAS: ${r.error}`));
      };
      conn.onDisconnect = (reason) => reject(new Error(`IAS: disconnected, reason 0x${reason.toString(16)}`));
      conn.send(encodeGetValueByClass(className, attribute));
    });
  } finally {
    conn.disconnect(LM_REASON.USER_REQUEST);
  }
}
