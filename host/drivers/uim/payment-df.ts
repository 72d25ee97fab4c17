/**
 * Reads the twin's proprietary payment DF (seed 001 "storage area 233"): device id, gateway URL, the users
 * (one per credit card) and the last authentication result. Layout and codecs are the card's own
 * (firmware-sim/uim/payment.ts, docs/UIM.md); the files need CHV1 / PIN Appl 1 verified. The password
 * verifiers (EF 6F05) are never readable and are not read.
 */
import {
  DF_PAYMENT,
  PaymentFile,
  decodeAuthResult,
  decodeDeviceId,
  decodeGatewayUrl,
  decodePaymentUser,
} from '../../../firmware-sim/uim/payment.js';
import type { AuthResult, PaymentUser } from '../../../firmware-sim/uim/payment.js';
import { Fid } from './sim-reader.js';
import type { SimReader } from './sim-reader.js';

export interface PaymentUserEntry extends PaymentUser {
  /** Record number in the users EF (1-based). */
  record: number;
}

export interface PaymentDf {
  deviceId: string;
  gatewayUrl: string;
  users: PaymentUserEntry[];
  /** The last authentication result, or null when the card holds none. */
  authResult: AuthResult | null;
}

/** True when the card has the payment DF (selecting it needs no PIN). */
export async function hasPaymentDf(reader: SimReader): Promise<boolean> {
  try {
    await reader.selectPath([Fid.MF, DF_PAYMENT]);
    return true;
  } catch {
    return false;
  }
}

/** Reads the payment DF; the PIN must have been verified. Throws CardStatusError (needsPin) otherwise. */
export async function readPaymentDf(reader: SimReader): Promise<PaymentDf> {
  const at = (fid: number): number[] => [Fid.MF, DF_PAYMENT, fid];
  const deviceId = unwrap(
    'device id',
    decodeDeviceId(await reader.readTransparent(at(PaymentFile.DEVICE_ID))),
  );
  const gatewayUrl = unwrap(
    'gateway URL',
    decodeGatewayUrl(await reader.readTransparent(at(PaymentFile.GATEWAY_URL))),
  );
  const users: PaymentUserEntry[] = [];
  (await reader.readRecords(at(PaymentFile.USERS))).forEach((record, i) => {
    const user = unwrap(`user record ${i + 1}`, decodePaymentUser(record));
    if (user) users.push({ ...user, record: i + 1 });
  });
  const authResult = unwrap(
    'authentication result',
    decodeAuthResult(await reader.readTransparent(at(PaymentFile.AUTH_RESULT))),
  );
  return { deviceId, gatewayUrl, users, authResult };
}

function unwrap<T>(what: string, r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(`payment DF ${what}: ${r.error}`);
  return r.value;
}
