/**
 * Whole messages as TPDUs: a text (or a WAP Push) becomes one SMS-DELIVER or SMS-SUBMIT per part.
 */
import type { SmsAddress } from './address.js';
import type { Scts } from './scts.js';
import { segmentText, type SegmentOptions } from './segment.js';
import type { SmsDeliver, SmsSubmit } from './tpdu.js';
import type { UserData } from './user-data.js';
import type { ValidityPeriod } from './validity-period.js';

export interface DeliverOptions {
  originator: SmsAddress;
  scts: Scts;
  pid?: number;
  statusReportIndication?: boolean;
}

/** One SMS-DELIVER per part, all with the same TP-DCS. */
export function smsDeliversForUserData(o: DeliverOptions, dcs: number, parts: UserData[]): SmsDeliver[] {
  return parts.map((userData, i) => ({
    type: 'SMS-DELIVER',
    // TP-MMS: more parts of this message follow.
    moreMessagesToSend: i < parts.length - 1,
    loopPrevention: false,
    replyPath: false,
    statusReportIndication: o.statusReportIndication ?? false,
    originator: o.originator,
    pid: o.pid ?? 0,
    dcs,
    scts: o.scts,
    userData,
  }));
}

export function smsDeliversForText(o: DeliverOptions & SegmentOptions & { text: string }): SmsDeliver[] {
  const s = segmentText(o.text, o);
  return smsDeliversForUserData(o, s.dcs, s.parts);
}

export interface SubmitOptions {
  destination: SmsAddress;
  /** TP-MR of the first part; the next parts take the following values (mod 256). */
  messageReference: number;
  statusReportRequest?: boolean;
  rejectDuplicates?: boolean;
  validityPeriod?: ValidityPeriod;
  pid?: number;
}

export function smsSubmitsForUserData(o: SubmitOptions, dcs: number, parts: UserData[]): SmsSubmit[] {
  return parts.map((userData, i) => ({
    type: 'SMS-SUBMIT',
    rejectDuplicates: o.rejectDuplicates ?? false,
    replyPath: false,
    statusReportRequest: o.statusReportRequest ?? false,
    messageReference: (o.messageReference + i) & 0xff,
    destination: o.destination,
    pid: o.pid ?? 0,
    dcs,
    ...(o.validityPeriod ? { validityPeriod: o.validityPeriod } : {}),
    userData,
  }));
}

export function smsSubmitsForText(o: SubmitOptions & SegmentOptions & { text: string }): SmsSubmit[] {
  const s = segmentText(o.text, o);
  return smsSubmitsForUserData(o, s.dcs, s.parts);
}
