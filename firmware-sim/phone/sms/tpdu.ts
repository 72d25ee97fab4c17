/**
 * Transfer-layer PDUs (3GPP TS 23.040 §9.2.2). TP-MTI means different PDUs in the two directions, so the
 * decoder is told which way the bytes travel:
 *
 *   MTI  SC → MS               MS → SC
 *   00   SMS-DELIVER           SMS-DELIVER-REPORT
 *   01   SMS-SUBMIT-REPORT     SMS-SUBMIT
 *   10   SMS-STATUS-REPORT     SMS-COMMAND
 */
import { readTpAddress, encodeTpAddress, type SmsAddress } from './address.js';
import { OctetReader, PduError, guard, type SmsResult } from './errors.js';
import { encodeScts, readScts, type Scts } from './scts.js';
import { encodeUserData, readUserData, type UserData } from './user-data.js';
import { encodeValidityPeriod, readValidityPeriod, vpfOf, type ValidityPeriod } from './validity-period.js';

export type TpduDirection = 'sc-to-ms' | 'ms-to-sc';

export interface SmsDeliver {
  type: 'SMS-DELIVER';
  /** TP-MMS inverted: true when the SC has more messages waiting (the bit is 0). */
  moreMessagesToSend: boolean;
  /** TP-LP (bit 3): the message was forwarded or spawned. */
  loopPrevention: boolean;
  replyPath: boolean;
  statusReportIndication: boolean;
  originator: SmsAddress;
  pid: number;
  dcs: number;
  scts: Scts;
  userData: UserData;
}

export interface SmsSubmit {
  type: 'SMS-SUBMIT';
  rejectDuplicates: boolean;
  replyPath: boolean;
  statusReportRequest: boolean;
  messageReference: number;
  destination: SmsAddress;
  pid: number;
  dcs: number;
  validityPeriod?: ValidityPeriod;
  userData: UserData;
}

export interface SmsStatusReport {
  type: 'SMS-STATUS-REPORT';
  moreMessagesToSend: boolean;
  /** TP-SRQ: the report is for an SMS-COMMAND rather than an SMS-SUBMIT. */
  forCommand: boolean;
  messageReference: number;
  recipient: SmsAddress;
  scts: Scts;
  dischargeTime: Scts;
  /** TP-ST (§9.2.3.15), see `TP_STATUS`. */
  status: number;
  pid?: number;
  dcs?: number;
  userData?: UserData;
}

export interface SmsDeliverReport {
  type: 'SMS-DELIVER-REPORT';
  /** TP-FCS: present in the RP-ERROR form, absent in the RP-ACK form. */
  failureCause?: number;
  pid?: number;
  dcs?: number;
  userData?: UserData;
}

export interface SmsSubmitReport {
  type: 'SMS-SUBMIT-REPORT';
  failureCause?: number;
  scts: Scts;
  pid?: number;
  dcs?: number;
  userData?: UserData;
}

/** SMS-COMMAND (§9.2.2.4): an operation on a message submitted earlier (enquiry, cancel, delete). */
export interface SmsCommand {
  type: 'SMS-COMMAND';
  statusReportRequest: boolean;
  messageReference: number;
  pid: number;
  /** TP-CT (§9.2.3.19): 00 enquiry, 01 cancel status report request, 02 delete, 03 enable status report. */
  commandType: number;
  /** TP-MN: the TP-MR of the message the command is about. */
  messageNumber: number;
  destination: SmsAddress;
  commandData: Uint8Array;
}

export type Tpdu = SmsDeliver | SmsSubmit | SmsStatusReport | SmsDeliverReport | SmsSubmitReport | SmsCommand;

/** Common TP-Status values (§9.2.3.15). */
export const TP_STATUS = {
  RECEIVED: 0x00,
  FORWARDED_UNCONFIRMED: 0x01,
  REPLACED: 0x02,
  TEMPORARY_CONGESTION: 0x20,
  TEMPORARY_SME_BUSY: 0x21,
  PERMANENT_REMOTE_PROCEDURE_ERROR: 0x40,
  PERMANENT_VALIDITY_EXPIRED: 0x46,
  PERMANENT_DELETED_BY_SC: 0x48,
  TEMPORARY_GAVE_UP_CONGESTION: 0x60,
} as const;

const MTI = { DELIVER: 0, SUBMIT: 1, STATUS: 2 } as const;
const bit = (on: boolean, mask: number): number => (on ? mask : 0);
const hasHeader = (ud: UserData | undefined): boolean => ud?.header !== undefined;

function userDataField(ud: UserData, dcs: number): number[] {
  const { udl, octets } = encodeUserData(ud, dcs);
  return [udl, ...octets];
}

/** TP-PI with the optional PID/DCS/UD that follow it (reports). */
function optionalFields(t: { pid?: number; dcs?: number; userData?: UserData }): number[] {
  const pi = bit(t.pid !== undefined, 1) | bit(t.dcs !== undefined, 2) | bit(t.userData !== undefined, 4);
  const out = [pi];
  if (t.pid !== undefined) out.push(t.pid & 0xff);
  if (t.dcs !== undefined) out.push(t.dcs & 0xff);
  if (t.userData !== undefined) out.push(...userDataField(t.userData, t.dcs ?? 0));
  return out;
}

/** Encodes a TPDU; throws a RangeError on values that cannot be encoded (a caller's bug). */
export function encodeTpdu(t: Tpdu): Uint8Array {
  const out: number[] = [];
  switch (t.type) {
    case 'SMS-DELIVER':
      out.push(
        MTI.DELIVER |
          bit(!t.moreMessagesToSend, 0x04) |
          bit(t.loopPrevention, 0x08) |
          bit(t.statusReportIndication, 0x20) |
          bit(hasHeader(t.userData), 0x40) |
          bit(t.replyPath, 0x80),
        ...encodeTpAddress(t.originator),
        t.pid & 0xff,
        t.dcs & 0xff,
        ...encodeScts(t.scts),
        ...userDataField(t.userData, t.dcs),
      );
      break;
    case 'SMS-SUBMIT':
      out.push(
        MTI.SUBMIT |
          bit(t.rejectDuplicates, 0x04) |
          (vpfOf(t.validityPeriod) << 3) |
          bit(t.statusReportRequest, 0x20) |
          bit(hasHeader(t.userData), 0x40) |
          bit(t.replyPath, 0x80),
        t.messageReference & 0xff,
        ...encodeTpAddress(t.destination),
        t.pid & 0xff,
        t.dcs & 0xff,
        ...(t.validityPeriod ? encodeValidityPeriod(t.validityPeriod) : []),
        ...userDataField(t.userData, t.dcs),
      );
      break;
    case 'SMS-STATUS-REPORT':
      out.push(
        MTI.STATUS |
          bit(!t.moreMessagesToSend, 0x04) |
          bit(t.forCommand, 0x20) |
          bit(hasHeader(t.userData), 0x40),
        t.messageReference & 0xff,
        ...encodeTpAddress(t.recipient),
        ...encodeScts(t.scts),
        ...encodeScts(t.dischargeTime),
        t.status & 0xff,
      );
      // TP-PI is optional in a status report: omitted when nothing follows.
      if (t.pid !== undefined || t.dcs !== undefined || t.userData !== undefined)
        out.push(...optionalFields(t));
      break;
    case 'SMS-DELIVER-REPORT':
      out.push(MTI.DELIVER | bit(hasHeader(t.userData), 0x40));
      if (t.failureCause !== undefined) out.push(t.failureCause & 0xff);
      out.push(...optionalFields(t));
      break;
    case 'SMS-SUBMIT-REPORT':
      out.push(MTI.SUBMIT | bit(hasHeader(t.userData), 0x40));
      if (t.failureCause !== undefined) out.push(t.failureCause & 0xff);
      {
        // TP-PI comes before TP-SCTS; the optional fields after it.
        const [pi, ...rest] = optionalFields(t);
        out.push(pi!, ...encodeScts(t.scts), ...rest);
      }
      break;
    case 'SMS-COMMAND': {
      if (t.commandData.length > 156) throw new RangeError('TP-CD holds at most 156 octets');
      out.push(
        MTI.STATUS | bit(t.statusReportRequest, 0x20),
        t.messageReference & 0xff,
        t.pid & 0xff,
        t.commandType & 0xff,
        t.messageNumber & 0xff,
        ...encodeTpAddress(t.destination),
        t.commandData.length,
        ...t.commandData,
      );
      break;
    }
  }
  return Uint8Array.from(out);
}

function readOptional(r: OctetReader, udhi: boolean): { pid?: number; dcs?: number; userData?: UserData } {
  if (r.remaining === 0) return {};
  const pi = r.octet('TP-PI');
  // Bits of an extended TP-PI (bit 7) are reserved; the first octet is enough to read what follows.
  const out: { pid?: number; dcs?: number; userData?: UserData } = {};
  if (pi & 1) out.pid = r.octet('TP-PID');
  if (pi & 2) out.dcs = r.octet('TP-DCS');
  if (pi & 4) out.userData = readUserData(r, out.dcs ?? 0, udhi);
  return out;
}

function decode(bytes: Uint8Array, direction: TpduDirection): Tpdu {
  const r = new OctetReader(bytes);
  const first = r.octet('first octet');
  const mti = first & 3;
  const udhi = (first & 0x40) !== 0;
  let t: Tpdu;
  if (direction === 'sc-to-ms' && mti === MTI.DELIVER) {
    const originator = readTpAddress(r, 'TP-OA');
    const pid = r.octet('TP-PID');
    const dcs = r.octet('TP-DCS');
    const scts = readScts(r, 'TP-SCTS');
    t = {
      type: 'SMS-DELIVER',
      moreMessagesToSend: (first & 0x04) === 0,
      loopPrevention: (first & 0x08) !== 0,
      replyPath: (first & 0x80) !== 0,
      statusReportIndication: (first & 0x20) !== 0,
      originator,
      pid,
      dcs,
      scts,
      userData: readUserData(r, dcs, udhi),
    };
  } else if (direction === 'ms-to-sc' && mti === MTI.SUBMIT) {
    const messageReference = r.octet('TP-MR');
    const destination = readTpAddress(r, 'TP-DA');
    const pid = r.octet('TP-PID');
    const dcs = r.octet('TP-DCS');
    const validityPeriod = readValidityPeriod(r, (first >> 3) & 3);
    t = {
      type: 'SMS-SUBMIT',
      rejectDuplicates: (first & 0x04) !== 0,
      replyPath: (first & 0x80) !== 0,
      statusReportRequest: (first & 0x20) !== 0,
      messageReference,
      destination,
      pid,
      dcs,
      ...(validityPeriod ? { validityPeriod } : {}),
      userData: readUserData(r, dcs, udhi),
    };
  } else if (direction === 'sc-to-ms' && mti === MTI.STATUS) {
    const messageReference = r.octet('TP-MR');
    const recipient = readTpAddress(r, 'TP-RA');
    const scts = readScts(r, 'TP-SCTS');
    const dischargeTime = readScts(r, 'TP-DT');
    const status = r.octet('TP-ST');
    t = {
      type: 'SMS-STATUS-REPORT',
      moreMessagesToSend: (first & 0x04) === 0,
      forCommand: (first & 0x20) !== 0,
      messageReference,
      recipient,
      scts,
      dischargeTime,
      status,
      ...readOptional(r, udhi),
    };
  } else if (mti === MTI.DELIVER || (direction === 'sc-to-ms' && mti === MTI.SUBMIT)) {
    // A report's second octet is TP-FCS (RP-ERROR form, values 0x80–0xFF) or TP-PI (RP-ACK form, whose
    // extension bit 7 is in practice never set): the top bit tells them apart.
    const peek = r.remaining > 0 ? bytes[r.offset]! : 0;
    const failureCause = peek & 0x80 ? r.octet('TP-FCS') : undefined;
    const fcs = failureCause === undefined ? {} : { failureCause };
    if (mti === MTI.DELIVER) {
      t = { type: 'SMS-DELIVER-REPORT', ...fcs, ...readOptional(r, udhi) };
    } else {
      const pi = r.octet('TP-PI');
      const scts = readScts(r, 'TP-SCTS');
      const rest: { pid?: number; dcs?: number; userData?: UserData } = {};
      if (pi & 1) rest.pid = r.octet('TP-PID');
      if (pi & 2) rest.dcs = r.octet('TP-DCS');
      if (pi & 4) rest.userData = readUserData(r, rest.dcs ?? 0, udhi);
      t = { type: 'SMS-SUBMIT-REPORT', ...fcs, scts, ...rest };
    }
  } else if (mti === MTI.STATUS) {
    const messageReference = r.octet('TP-MR');
    const pid = r.octet('TP-PID');
    const commandType = r.octet('TP-CT');
    const messageNumber = r.octet('TP-MN');
    const destination = readTpAddress(r, 'TP-DA');
    const cdl = r.octet('TP-CDL');
    if (cdl > 156) throw new PduError(`TP-CDL ${cdl} exceeds 156`);
    t = {
      type: 'SMS-COMMAND',
      statusReportRequest: (first & 0x20) !== 0,
      messageReference,
      pid,
      commandType,
      messageNumber,
      destination,
      commandData: r.take(cdl, 'TP-CD'),
    };
  } else {
    throw new PduError('TP-MTI 11 is reserved');
  }
  if (r.remaining > 0) throw new PduError(`${r.remaining} octets after the end of the ${t.type}`);
  return t;
}

/** Decodes a TPDU travelling in `direction`; never throws. */
export function decodeTpdu(bytes: Uint8Array, direction: TpduDirection): SmsResult<Tpdu> {
  return guard(() => decode(bytes, direction));
}
