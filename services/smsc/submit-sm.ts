/**
 * submit_sm bodies read from the raw PDU (SMPP 3.4 §4.4.1). The smpp package decodes short_message into
 * text by its own guess of the alphabet; the SMSC needs the octets the ESME sent, so it walks the fields
 * itself and answers a malformed body with the SMPP 3.4 §5.1.3 status that names the fault.
 */

export const ESME = {
  ROK: 0x00,
  RINVMSGLEN: 0x01,
  RINVCMDLEN: 0x02,
  RINVCMDID: 0x03,
  RINVBNDSTS: 0x04,
  RALYBND: 0x05,
  RSYSERR: 0x08,
  RINVSRCADR: 0x0a,
  RINVDSTADR: 0x0b,
  RBINDFAIL: 0x0d,
  RINVPASWD: 0x0e,
  RINVSYSID: 0x0f,
  RMSGQFUL: 0x14,
  RINVESMCLASS: 0x43,
  RSUBMITFAIL: 0x45,
  RINVOPTPARSTREAM: 0xc0,
  RINVPARLEN: 0xc2,
  RINVDCS: 0x104,
} as const;

export const TAG = {
  SOURCE_PORT: 0x020a,
  DESTINATION_PORT: 0x020b,
  USER_MESSAGE_REFERENCE: 0x0204,
  MESSAGE_PAYLOAD: 0x0424,
} as const;

export interface SubmitSm {
  sequenceNumber: number;
  serviceType: string;
  sourceTon: number;
  sourceNpi: number;
  source: string;
  destTon: number;
  destNpi: number;
  destination: string;
  esmClass: number;
  protocolId: number;
  registeredDelivery: number;
  dataCoding: number;
  /** short_message, or message_payload when short_message is empty. */
  message: Uint8Array;
  userMessageReference?: number;
  /** source_port / destination_port TLVs (§5.3.2.20–21): application ports for the phone (WAP Push: 9200 → 2948). */
  sourcePort?: number;
  destinationPort?: number;
}

export type SubmitSmResult = { ok: true; value: SubmitSm } | { ok: false; status: number; reason: string };

class Fault extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** Parses a whole submit_sm PDU (header included). */
export function parseSubmitSm(pdu: Uint8Array): SubmitSmResult {
  const b = Buffer.from(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  let at = 16;
  const end = b.length;
  const int8 = (field: string): number => {
    if (at >= end) throw new Fault(ESME.RINVCMDLEN, `submit_sm ends before ${field}`);
    return b[at++]!;
  };
  const cstring = (field: string, max: number): string => {
    const nul = b.indexOf(0, at);
    if (nul < 0 || nul >= end) throw new Fault(ESME.RINVCMDLEN, `submit_sm ends inside ${field}`);
    if (nul - at > max - 1) throw new Fault(ESME.RINVCMDLEN, `${field} longer than ${max - 1} octets`);
    const s = b.toString('latin1', at, nul);
    at = nul + 1;
    return s;
  };
  try {
    const serviceType = cstring('service_type', 6);
    const sourceTon = int8('source_addr_ton');
    const sourceNpi = int8('source_addr_npi');
    const source = cstring('source_addr', 21);
    const destTon = int8('dest_addr_ton');
    const destNpi = int8('dest_addr_npi');
    const destination = cstring('destination_addr', 21);
    const esmClass = int8('esm_class');
    const protocolId = int8('protocol_id');
    int8('priority_flag');
    cstring('schedule_delivery_time', 17);
    cstring('validity_period', 17);
    const registeredDelivery = int8('registered_delivery');
    int8('replace_if_present_flag');
    const dataCoding = int8('data_coding');
    int8('sm_default_msg_id');
    const smLength = int8('sm_length');
    if (at + smLength > end) throw new Fault(ESME.RINVMSGLEN, `sm_length ${smLength} overruns the PDU`);
    let message: Uint8Array = Uint8Array.from(b.subarray(at, at + smLength));
    at += smLength;
    let userMessageReference: number | undefined;
    const ports: { sourcePort?: number; destinationPort?: number } = {};
    while (at < end) {
      if (at + 4 > end) throw new Fault(ESME.RINVOPTPARSTREAM, 'truncated TLV header');
      const tag = b.readUInt16BE(at);
      const len = b.readUInt16BE(at + 2);
      at += 4;
      if (at + len > end) throw new Fault(ESME.RINVPARLEN, `TLV 0x${tag.toString(16)} overruns the PDU`);
      const value = b.subarray(at, at + len);
      at += len;
      if (tag === TAG.MESSAGE_PAYLOAD) {
        if (smLength > 0) throw new Fault(ESME.RINVMSGLEN, 'both short_message and message_payload');
        message = Uint8Array.from(value);
      } else if (tag === TAG.SOURCE_PORT || tag === TAG.DESTINATION_PORT) {
        if (len !== 2) throw new Fault(ESME.RINVPARLEN, 'a port is 2 octets');
        ports[tag === TAG.SOURCE_PORT ? 'sourcePort' : 'destinationPort'] = value.readUInt16BE(0);
      } else if (tag === TAG.USER_MESSAGE_REFERENCE) {
        if (len !== 2) throw new Fault(ESME.RINVPARLEN, 'user_message_reference is 2 octets');
        userMessageReference = value.readUInt16BE(0);
      }
    }
    return {
      ok: true,
      value: {
        sequenceNumber: b.readUInt32BE(12),
        serviceType,
        sourceTon,
        sourceNpi,
        source,
        destTon,
        destNpi,
        destination,
        esmClass,
        protocolId,
        registeredDelivery,
        dataCoding,
        message,
        ...(userMessageReference === undefined ? {} : { userMessageReference }),
        ...ports,
      },
    };
  } catch (e) {
    if (e instanceof Fault) return { ok: false, status: e.status, reason: e.message };
    return { ok: false, status: ESME.RSYSERR, reason: String(e) };
  }
}
