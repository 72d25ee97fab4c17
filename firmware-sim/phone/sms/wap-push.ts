/**
 * WAP Push over SMS (WAP-259-WDP annex: GSM SMS bearer): the WSP Push PDU travels as 8-bit user data with
 * 16-bit application ports, destination 2948 (WAP Push connectionless) from source 9200, concatenated when
 * longer than one part.
 */
import { dcsFor } from './dcs.js';
import { fail, guard, type SmsResult } from './errors.js';
import type { ReassembledMessage } from './reassembly.js';
import { segmentData } from './segment.js';
import {
  decodeServiceIndication,
  encodeServiceIndication,
  type ServiceIndication,
} from './service-indication.js';
import type { UserData } from './user-data.js';
import { CONTENT_TYPE_SIC, decodeWspPush, encodeWspPush, type WspPush } from './wsp.js';

export const WAP_PUSH_PORT = 2948;
export const WAP_PUSH_SOURCE_PORT = 9200;
/** TP-DCS for WAP Push parts: 8-bit data, general group. */
export const WAP_PUSH_DCS = dcsFor('8bit');

/** The WSP Push PDU of a Service Indication. */
export function encodeSiPush(si: ServiceIndication, transactionId: number): Uint8Array {
  return encodeWspPush({
    transactionId,
    contentType: CONTENT_TYPE_SIC,
    headers: new Uint8Array(0),
    data: encodeServiceIndication(si),
  });
}

/** User data parts (8-bit, TP-DCS `WAP_PUSH_DCS`) carrying a WSP PDU to port 2948. */
export function wapPushUserData(wsp: Uint8Array, reference: number): UserData[] {
  return segmentData(wsp, {
    reference,
    header: [{ kind: 'ports', portBits: 16, destination: WAP_PUSH_PORT, source: WAP_PUSH_SOURCE_PORT }],
  });
}

export interface SiPush {
  push: WspPush;
  si: ServiceIndication;
}

/** The SI in a WSP Push PDU; a push of another content type is +CMS ERROR 303. */
export function decodeSiPush(wsp: Uint8Array): SmsResult<SiPush> {
  const push = decodeWspPush(wsp);
  if (!push.ok) return push;
  if (push.value.contentType !== CONTENT_TYPE_SIC) {
    return fail(`WAP Push of ${push.value.contentType}, not a Service Indication`, 303);
  }
  const si = decodeServiceIndication(push.value.data);
  if (!si.ok) return si;
  return guard(() => ({ push: push.value, si: si.value }));
}

/** The SI of a reassembled message addressed to port 2948; an error result for anything else. */
export function siFromMessage(message: ReassembledMessage): SmsResult<SiPush> {
  if (message.ports?.destination !== WAP_PUSH_PORT || message.data === undefined) {
    return fail('message is not addressed to the WAP Push port 2948', 303);
  }
  return decodeSiPush(message.data);
}
