/**
 * The payment application's side of the UIM (DF 7F50, docs/UIM.md): device id, gateway URL, the
 * authentication result, and VERIFY PAYMENT PASSWORD. Every call selects by path from the MF, so it works
 * whatever the modem selected in between, on both command classes.
 */
import {
  AUTH_RESULT_LENGTH,
  DEVICE_ID_LENGTH,
  DF_PAYMENT,
  GATEWAY_URL_LENGTH,
  PaymentFile,
  PaymentIns,
  decodeAuthResult,
  decodeDeviceId,
  decodeGatewayUrl,
  encodeVerifyPaymentPassword,
} from '../../../uim/payment.js';
import type { AuthResult, VerifyPaymentPassword } from '../../../uim/payment.js';
import type { UimAccess } from '../../uim-access.js';
import { isOk } from '../../uim-access.js';

export { readPaymentUsers } from '../../handset/apps/card-list.js';

/** A value read from the card, or the status word (or reason) that stopped it. */
export type CardRead<T> = { ok: true; value: T } | { ok: false; sw: number; reason: string };

const swText = (sw: number): string => sw.toString(16).toUpperCase().padStart(4, '0');

function readEf(uim: UimAccess, fid: number, length: number): CardRead<Uint8Array> {
  const sel = uim.selectPath([DF_PAYMENT, fid]);
  if (!isOk(sel.sw))
    return { ok: false, sw: sel.sw, reason: `SELECT ${fid.toString(16)}: ${swText(sel.sw)}` };
  const r = uim.apdu(0xb0, 0, 0, undefined, length);
  if (!isOk(r.sw)) return { ok: false, sw: r.sw, reason: `READ BINARY ${fid.toString(16)}: ${swText(r.sw)}` };
  return { ok: true, value: r.data };
}

export function readDeviceId(uim: UimAccess): CardRead<string> {
  const r = readEf(uim, PaymentFile.DEVICE_ID, DEVICE_ID_LENGTH);
  if (!r.ok) return r;
  const d = decodeDeviceId(r.value);
  return d.ok ? d : { ok: false, sw: 0x9000, reason: d.error };
}

export function readGatewayUrl(uim: UimAccess): CardRead<URL> {
  const r = readEf(uim, PaymentFile.GATEWAY_URL, GATEWAY_URL_LENGTH);
  if (!r.ok) return r;
  const d = decodeGatewayUrl(r.value);
  if (!d.ok) return { ok: false, sw: 0x9000, reason: d.error };
  try {
    return { ok: true, value: new URL(d.value) };
  } catch {
    return { ok: false, sw: 0x9000, reason: `gateway URL "${d.value}" is not a URL` };
  }
}

/** EF_PAY_AUTH as the card wrote it (hex for the gateway) and decoded; `result` null when erased. */
export function readAuthResult(uim: UimAccess): CardRead<{ hex: string; result: AuthResult | null }> {
  const r = readEf(uim, PaymentFile.AUTH_RESULT, AUTH_RESULT_LENGTH);
  if (!r.ok) return r;
  const d = decodeAuthResult(r.value);
  if (!d.ok) return { ok: false, sw: 0x9000, reason: d.error };
  return { ok: true, value: { hex: Buffer.from(r.value).toString('hex'), result: d.value } };
}

/**
 * VERIFY PAYMENT PASSWORD (CLA 80 / A0, INS 5A) with DF 7F50 current; the status word. The card may derive
 * the verifier's key ahead (SmartCard.prepare), so the handset is not held while it does.
 */
export async function verifyPaymentPassword(uim: UimAccess, v: VerifyPaymentPassword): Promise<number> {
  const cla = uim.dialect === 'gsm' ? 0xa0 : 0x80;
  const data = encodeVerifyPaymentPassword(v);
  await uim.prepare(PaymentIns.VERIFY_PAYMENT_PASSWORD, 0, 0, data, undefined, cla);
  // SELECT and VERIFY back to back: nothing else reaches the card between them.
  const sel = uim.selectPath([DF_PAYMENT]);
  if (!isOk(sel.sw)) return sel.sw;
  return uim.apdu(PaymentIns.VERIFY_PAYMENT_PASSWORD, 0, 0, data, undefined, cla).sw;
}

export { swText };
