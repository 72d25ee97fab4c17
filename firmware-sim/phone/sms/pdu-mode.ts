/**
 * The PDU form of AT commands (3GPP TS 27.005 §3.3 / §4.3): hex of the SMSC address field followed by the
 * TPDU. `AT+CMGS=<length>` and `+CMGR`/`+CMGL` lengths count the TPDU octets only, not the SMSC field.
 */
import { encodeScAddress, readScAddress, type SmsAddress } from './address.js';
import { OctetReader, PduError, guard, toHex, type SmsResult } from './errors.js';
import { decodeTpdu, encodeTpdu, type Tpdu, type TpduDirection } from './tpdu.js';

export interface AtPdu {
  /** Absent when the field is 00 (the SMSC stored in the phone). */
  smsc?: SmsAddress;
  tpdu: Tpdu;
}

export interface EncodedAtPdu {
  hex: string;
  /** The <length> of +CMGS/+CMGW/+CMGR/+CMGL: TPDU octets, without the SMSC field. */
  tpduLength: number;
}

export function encodeAtPdu(pdu: AtPdu): EncodedAtPdu {
  const sc = encodeScAddress(pdu.smsc);
  const tpdu = encodeTpdu(pdu.tpdu);
  return { hex: toHex(sc) + toHex(tpdu), tpduLength: tpdu.length };
}

export interface DecodedAtPdu extends AtPdu {
  tpduOctets: Uint8Array;
}

/**
 * Decodes the hex an AT client sent (or a modem listed). With `tpduLength` (the <length> of +CMGS) the TPDU
 * must have exactly that many octets: a mismatch is +CMS ERROR 304, as modems answer it.
 */
export function decodeAtPdu(
  hex: string,
  direction: TpduDirection,
  tpduLength?: number,
): SmsResult<DecodedAtPdu> {
  return guard(() => {
    const clean = hex.trim();
    if (clean.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(clean)) {
      throw new PduError('PDU is not an even number of hex digits');
    }
    const bytes = Uint8Array.from(Buffer.from(clean, 'hex'));
    const r = new OctetReader(bytes);
    const smsc = readScAddress(r);
    const tpduOctets = r.rest();
    if (tpduLength !== undefined && tpduLength !== tpduOctets.length) {
      throw new PduError(`<length> ${tpduLength} but the TPDU has ${tpduOctets.length} octets`);
    }
    const t = decodeTpdu(tpduOctets, direction);
    if (!t.ok) throw new PduError(t.error.reason, t.error.cms);
    return { ...(smsc ? { smsc } : {}), tpdu: t.value, tpduOctets };
  });
}
