/**
 * Message storage of TS 27.005 §3.1 <mem>: "SM" is the UIM's EF_SMS, "ME" the phone's own memory. Both
 * hold records in the EF_SMS layout of TS 51.011 §10.5.3 (the USIM keeps the layout): one status
 * octet, then the service-centre address field and the TPDU, padded with FF to 176 octets.
 */
import { readScAddress, type SmsAddress } from './sms/address.js';
import { OctetReader } from './sms/errors.js';
import { decodeTpdu, type Tpdu, type TpduDirection } from './sms/tpdu.js';
import { FileId, isOk } from './uim-access.js';
import type { UimAccess } from './uim-access.js';

export const SMS_RECORD_LENGTH = 176;

/** The status octet (TS 51.011 §10.5.3): bit 1 "in use", bits 3–2 which kind of message. */
export const SmsRecordStatus = {
  FREE: 0x00,
  RECEIVED_READ: 0x01,
  RECEIVED_UNREAD: 0x03,
  STORED_SENT: 0x05,
  STORED_UNSENT: 0x07,
} as const;

/** <stat> of TS 27.005 §3.1: 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT (4 ALL in +CMGL only). */
export type SmsStat = 0 | 1 | 2 | 3;
export const STAT_NAMES = ['REC UNREAD', 'REC READ', 'STO UNSENT', 'STO SENT', 'ALL'] as const;

export function statOfStatus(status: number): SmsStat | undefined {
  if ((status & 0x01) === 0) return undefined;
  switch (status & 0x07) {
    case 0x03:
      return 0;
    case 0x01:
      return 1;
    case 0x07:
      return 2;
    default:
      return 3;
  }
}

export function statusOfStat(stat: SmsStat): number {
  return [
    SmsRecordStatus.RECEIVED_UNREAD,
    SmsRecordStatus.RECEIVED_READ,
    SmsRecordStatus.STORED_UNSENT,
    SmsRecordStatus.STORED_SENT,
  ][stat]!;
}

/** One record built from its parts; throws a RangeError when they do not fit (a caller's bug). */
export function encodeSmsRecord(stat: SmsStat, scField: Uint8Array, tpdu: Uint8Array): Uint8Array {
  const out = new Uint8Array(SMS_RECORD_LENGTH).fill(0xff);
  if (1 + scField.length + tpdu.length > SMS_RECORD_LENGTH) throw new RangeError('SMS too long for a record');
  out[0] = statusOfStat(stat);
  out.set(scField, 1);
  out.set(tpdu, 1 + scField.length);
  return out;
}

export interface StoredSms {
  stat: SmsStat;
  /** The RP service-centre address field (length octet first; `00` when none). */
  scField: Uint8Array;
  smsc: SmsAddress | undefined;
  tpdu: Uint8Array;
  /** The decoded TPDU; undefined when the record holds something this codec cannot read. */
  decoded: Tpdu | undefined;
}

/**
 * Reads a record; undefined for a free one. The record does not say where the TPDU ends, so the length
 * is the one the TPDU decodes with exactly (the FF padding lies after it); a record nothing decodes is
 * kept up to its last octet that is not FF, so PDU mode still shows it.
 */
export function decodeSmsRecord(record: Uint8Array): StoredSms | undefined {
  const stat = record.length > 0 ? statOfStatus(record[0]!) : undefined;
  if (stat === undefined) return undefined;
  const body = record.subarray(1);
  const scLength = body[0] ?? 0;
  let scEnd = 1 + scLength;
  let smsc: SmsAddress | undefined;
  if (scLength === 0xff || scEnd > body.length) {
    scEnd = 1;
  } else {
    try {
      smsc = readScAddress(new OctetReader(body.subarray(0, scEnd)));
    } catch {
      smsc = undefined;
    }
  }
  const scField = scEnd === 1 ? Uint8Array.of(0) : body.slice(0, scEnd);
  const rest = body.subarray(scEnd);
  let last = rest.length;
  while (last > 0 && rest[last - 1] === 0xff) last--;
  const direction: TpduDirection = stat <= 1 ? 'sc-to-ms' : 'ms-to-sc';
  for (let n = Math.max(last, 1); n <= rest.length; n++) {
    const d = decodeTpdu(rest.subarray(0, n), direction);
    if (d.ok) return { stat, scField, smsc, tpdu: rest.slice(0, n), decoded: d.value };
  }
  return { stat, scField, smsc, tpdu: rest.slice(0, last), decoded: undefined };
}

/** Why a memory cannot be used, as a +CMS ERROR code (TS 27.005 §3.2.5). */
export type SmsMemoryResult<T> = { ok: true; value: T } | { ok: false; cms: number };

export type SmsMemoryName = 'SM' | 'ME';
export const SMS_MEMORIES: readonly SmsMemoryName[] = ['SM', 'ME'];

export interface SmsMemory {
  readonly name: SmsMemoryName;
  /** Number of records (indices 1…capacity). */
  capacity(): SmsMemoryResult<number>;
  /** Record `index` (1-based), 176 octets. */
  read(index: number): SmsMemoryResult<Uint8Array>;
  write(index: number, record: Uint8Array): SmsMemoryResult<void>;
}

/** The CMS codes for SIM trouble (TS 27.005 §3.2.5). */
export const CmsSim = {
  NOT_INSERTED: 310,
  PIN_REQUIRED: 311,
  PUK_REQUIRED: 316,
  FAILURE: 313,
  MEMORY_FAILURE: 320,
} as const;

/**
 * "SM": EF_SMS on the UIM through the handset's SIM driver. `unavailable` tells why the SIM cannot be
 * used now (as a CMS code), or undefined.
 */
export class SimSmsMemory implements SmsMemory {
  readonly name = 'SM';
  constructor(
    private readonly sim: () => UimAccess | undefined,
    private readonly unavailable: () => number | undefined,
  ) {}

  capacity(): SmsMemoryResult<number> {
    const sim = this.ready();
    if (!sim.ok) return sim;
    const f = sim.value.recordFile(FileId.EF_SMS);
    if (!isOk(f.sw)) return { ok: false, cms: CmsSim.MEMORY_FAILURE };
    return { ok: true, value: f.count };
  }

  read(index: number): SmsMemoryResult<Uint8Array> {
    const sim = this.ready();
    if (!sim.ok) return sim;
    const r = sim.value.readRecord(FileId.EF_SMS, index);
    if (!isOk(r.sw)) return { ok: false, cms: CmsSim.MEMORY_FAILURE };
    return { ok: true, value: r.data };
  }

  write(index: number, record: Uint8Array): SmsMemoryResult<void> {
    const sim = this.ready();
    if (!sim.ok) return sim;
    const sw = sim.value.updateRecord(FileId.EF_SMS, index, record);
    return isOk(sw) ? { ok: true, value: undefined } : { ok: false, cms: CmsSim.MEMORY_FAILURE };
  }

  private ready(): SmsMemoryResult<UimAccess> {
    const cms = this.unavailable();
    const sim = this.sim();
    if (cms !== undefined || !sim) return { ok: false, cms: cms ?? CmsSim.NOT_INSERTED };
    return { ok: true, value: sim };
  }
}

/**
 * Where the device shell keeps phone memory across power cycles (a file, a database). `load` gives the
 * records it has (missing or short ones are free); `save` is called after each change.
 */
export interface SmsMemoryPersistence {
  load(): readonly (Uint8Array | undefined)[];
  save(index: number, record: Uint8Array): void;
}

/** "ME": records in the phone, pure state; a persistence hook keeps them when the shell provides one. */
export class PhoneSmsMemory implements SmsMemory {
  readonly name = 'ME';
  private readonly records: Uint8Array[];

  constructor(
    readonly size: number,
    private readonly persistence?: SmsMemoryPersistence,
  ) {
    const loaded = persistence?.load() ?? [];
    this.records = Array.from({ length: size }, (_, i) => {
      const r = loaded[i];
      const out = new Uint8Array(SMS_RECORD_LENGTH).fill(0xff);
      out[0] = SmsRecordStatus.FREE;
      if (r && r.length === SMS_RECORD_LENGTH) out.set(r);
      return out;
    });
  }

  capacity(): SmsMemoryResult<number> {
    return { ok: true, value: this.size };
  }

  read(index: number): SmsMemoryResult<Uint8Array> {
    const r = this.records[index - 1];
    return r ? { ok: true, value: r.slice() } : { ok: false, cms: 321 };
  }

  write(index: number, record: Uint8Array): SmsMemoryResult<void> {
    if (!this.records[index - 1] || record.length !== SMS_RECORD_LENGTH) return { ok: false, cms: 321 };
    this.records[index - 1] = record.slice();
    this.persistence?.save(index, record.slice());
    return { ok: true, value: undefined };
  }
}

/** A free record (status 00, the rest FF). */
export function freeSmsRecord(): Uint8Array {
  const out = new Uint8Array(SMS_RECORD_LENGTH).fill(0xff);
  out[0] = SmsRecordStatus.FREE;
  return out;
}
