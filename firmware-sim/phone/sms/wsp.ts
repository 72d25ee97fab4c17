/**
 * The connectionless WSP Push PDU (WAP-230-WSP §8.2.4.1, §8.4.2.24): TID, PDU type 0x06, HeadersLen
 * (uintvar, counting the content type and the headers), content type, headers, data.
 */
import { OctetReader, PduError, guard, type SmsResult } from './errors.js';

export const WSP_PDU_PUSH = 0x06;

/** Well-known content types (WAP-230-WSP Table 40) this codec names. */
const WELL_KNOWN_CONTENT_TYPES: ReadonlyMap<number, string> = new Map([
  [0x03, 'text/plain'],
  [0x2e, 'application/vnd.wap.sic'],
  [0x30, 'application/vnd.wap.slc'],
  [0x3e, 'application/vnd.wap.mms-message'],
]);
const CODE_OF = new Map([...WELL_KNOWN_CONTENT_TYPES].map(([code, name]) => [name, code]));

export const CONTENT_TYPE_SIC = 'application/vnd.wap.sic';

export interface WspPush {
  transactionId: number;
  contentType: string;
  /** Parameter octets of the general (value-length) form of the content type, kept raw. */
  contentTypeParameters?: Uint8Array;
  /** Encoded headers after the content type, kept raw. */
  headers: Uint8Array;
  data: Uint8Array;
}

export function encodeUintvar(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`uintvar ${n} out of range`);
  const out = [n & 0x7f];
  for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) out.unshift(0x80 | (v & 0x7f));
  return out;
}

export function readUintvar(r: OctetReader, field: string): number {
  let v = 0;
  for (let i = 0; i < 5; i++) {
    const b = r.octet(field);
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) return v;
  }
  throw new PduError(`${field}: uintvar longer than 5 octets`);
}

function encodeContentType(p: WspPush): number[] {
  const code = CODE_OF.get(p.contentType);
  const media = code === undefined ? [...Buffer.from(p.contentType, 'latin1'), 0] : [0x80 | code];
  if (!p.contentTypeParameters?.length) return media;
  const body = [...media, ...p.contentTypeParameters];
  return body.length < 31 ? [body.length, ...body] : [31, ...encodeUintvar(body.length), ...body];
}

export function encodeWspPush(p: WspPush): Uint8Array {
  const ct = encodeContentType(p);
  return Uint8Array.from([
    p.transactionId & 0xff,
    WSP_PDU_PUSH,
    ...encodeUintvar(ct.length + p.headers.length),
    ...ct,
    ...p.headers,
    ...p.data,
  ]);
}

function readText(r: OctetReader, field: string): string {
  const chars: number[] = [];
  for (;;) {
    const b = r.octet(field);
    if (b === 0) return Buffer.from(chars).toString('latin1');
    chars.push(b);
  }
}

function readMedia(r: OctetReader): string {
  const b = r.octet('content type');
  if (b & 0x80)
    return WELL_KNOWN_CONTENT_TYPES.get(b & 0x7f) ?? `x-wsp-content-type-0x${(b & 0x7f).toString(16)}`;
  if (b >= 0x20) return String.fromCharCode(b) + readText(r, 'content type');
  // A long integer media code (length octet, then big-endian value).
  let v = 0;
  for (const o of r.take(b, 'content type')) v = v * 256 + o;
  return WELL_KNOWN_CONTENT_TYPES.get(v) ?? `x-wsp-content-type-0x${v.toString(16)}`;
}

export function decodeWspPush(bytes: Uint8Array): SmsResult<WspPush> {
  return guard(() => {
    const r = new OctetReader(bytes);
    const transactionId = r.octet('TID');
    const type = r.octet('PDU type');
    if (type !== WSP_PDU_PUSH && type !== 0x07) throw new PduError(`WSP PDU type ${type} is not Push`);
    const headersLen = readUintvar(r, 'HeadersLen');
    const hr = new OctetReader(r.take(headersLen, 'headers'));
    const first = hr.octet('content type');
    let contentType: string;
    let contentTypeParameters: Uint8Array | undefined;
    if (first >= 0x80)
      contentType =
        WELL_KNOWN_CONTENT_TYPES.get(first & 0x7f) ?? `x-wsp-content-type-0x${(first & 0x7f).toString(16)}`;
    else if (first >= 0x20) contentType = String.fromCharCode(first) + readText(hr, 'content type');
    else {
      const len = first === 31 ? readUintvar(hr, 'content type length') : first;
      const gr = new OctetReader(hr.take(len, 'content type'));
      contentType = readMedia(gr);
      contentTypeParameters = gr.rest();
    }
    return {
      transactionId,
      contentType,
      ...(contentTypeParameters?.length ? { contentTypeParameters } : {}),
      headers: hr.rest(),
      data: r.rest(),
    };
  });
}
