/**
 * The handset's short message entity behind the TS 27.005 commands: the settings (+CSMS, +CPMS, +CMGF,
 * +CSCA, +CSMP, +CNMI, +CSDH), the two message memories, sending over an `SmsBearer` and receiving what
 * the network delivers (stored with +CMTI, routed with +CMT, status reports with +CDS / +CDSI).
 * A message addressed to an application port the phone itself serves (WAP Push, 2948) is reassembled and
 * handed to that port's handler instead (TS 23.040 §9.2.3.24.4): it is acknowledged, never stored.
 */
import type { AtResponse } from './at/command-table.js';
import { cms, ok } from './at/command-table.js';
import type { SmsBearer, SmsDeliveryOutcome } from './sms-bearer.js';
import { TpFailureCause } from './sms-bearer.js';
import { encodeScAddress, readScAddress, type SmsAddress } from './sms/address.js';
import { parseDcs } from './sms/dcs.js';
import { OctetReader } from './sms/errors.js';
import { SmsReassembler, type ReassembledMessage } from './sms/reassembly.js';
import { decodeTpdu, type Tpdu } from './sms/tpdu.js';
import { portsOf } from './sms/udh.js';
import {
  decodeSmsRecord,
  encodeSmsRecord,
  freeSmsRecord,
  PhoneSmsMemory,
  SimSmsMemory,
  type SmsMemory,
  type SmsMemoryName,
  type SmsMemoryPersistence,
  type SmsStat,
  type StoredSms,
} from './sms-storage.js';
import { FileId, isOk } from './uim-access.js';
import type { UimAccess } from './uim-access.js';

export const CmsError = {
  ME_FAILURE: 300,
  OPERATION_NOT_ALLOWED: 302,
  OPERATION_NOT_SUPPORTED: 303,
  INVALID_PDU_MODE_PARAMETER: 304,
  INVALID_TEXT_MODE_PARAMETER: 305,
  MEMORY_FAILURE: 320,
  INVALID_MEMORY_INDEX: 321,
  MEMORY_FULL: 322,
  SMSC_ADDRESS_UNKNOWN: 330,
  NO_NETWORK_SERVICE: 331,
  UNKNOWN_ERROR: 500,
} as const;

/** +CNMI (TS 27.005 §3.4.1). */
export interface NewMessageIndication {
  /** 0 buffer in the TA, 1 discard when the link is busy, 2 buffer while busy then send (1 and 2 behave alike here). */
  mode: number;
  /** 0 none, 1 +CMTI, 2 +CMT (class 2 stored with +CMTI), 3 +CMT for class 3 only. */
  mt: number;
  bm: number;
  /** 0 none, 1 +CDS, 2 +CDSI (stored). */
  ds: number;
  bfr: number;
}

/** +CSMP (TS 27.005 §3.3.2): the SMS-SUBMIT parameters of text mode. */
export interface TextModeParameters {
  fo: number;
  vp: number;
  pid: number;
  dcs: number;
}

/** Incomplete concatenated messages kept for application ports. */
const MAX_PENDING_PORT_SETS = 16;

/** The TA's buffer of indications while +CNMI <mode> is 0. */
const MAX_BUFFERED_INDICATIONS = 32;

export interface SmsServiceOptions {
  sim: () => UimAccess | undefined;
  /** Why the SIM cannot be used now, as a +CMS ERROR code; undefined when it can. */
  simUnavailable: () => number | undefined;
  /** True while registered on a network (home or roaming). */
  registered: () => boolean;
  /** Sends unsolicited result codes (one call per code, several lines kept together). */
  unsolicited: (lines: string | readonly string[]) => void;
  /** Records of the phone memory "ME" (default 20). */
  phoneMemorySize?: number;
  phoneMemory?: SmsMemoryPersistence;
  bearer?: SmsBearer;
}

export class SmsService {
  /** +CSMS <service>: 0 phase 2, 1 phase 2+ (then +CNMA acknowledges +CMT; accepted, not required here). */
  service = 0;
  /** +CMGF: false PDU mode, true text mode. */
  textMode = false;
  /** +CSDH */
  showTextParameters = false;
  csmp: TextModeParameters = { fo: 17, vp: 167, pid: 0, dcs: 0 };
  cnmi: NewMessageIndication = { mode: 0, mt: 0, bm: 0, ds: 0, bfr: 0 };
  /** <mem1> read/list/delete, <mem2> write/send, <mem3> received messages. */
  readonly preferred: [SmsMemoryName, SmsMemoryName, SmsMemoryName] = ['SM', 'SM', 'SM'];
  bearer: SmsBearer | undefined;
  /** Formats +CMT / +CDS for the mode in force; set by the command module. */
  formatRouted: ((sms: StoredSms) => string[]) | undefined;
  readonly memories: Record<SmsMemoryName, SmsMemory>;
  private sca: SmsAddress | undefined;
  private scaLoaded = false;
  private mr = 0;
  private readonly buffered: (string | readonly string[])[] = [];
  private readonly o: SmsServiceOptions;
  private readonly portHandlers = new Map<number, (message: ReassembledMessage) => void>();
  private readonly portReassembler = new SmsReassembler();
  /** Arrival order of port parts (the reassembler's time: the SMS service has no clock). */
  private portParts = 0;

  constructor(options: SmsServiceOptions) {
    this.o = options;
    this.bearer = options.bearer;
    this.memories = {
      SM: new SimSmsMemory(options.sim, options.simUnavailable),
      ME: new PhoneSmsMemory(options.phoneMemorySize ?? 20, options.phoneMemory),
    };
  }

  /**
   * Serves an application port on the phone itself (one handler a port, the last one set wins; undefined
   * gives the port back to the TE): messages to it are reassembled and handed over, not stored.
   */
  setPortHandler(port: number, handler: ((message: ReassembledMessage) => void) | undefined): void {
    if (handler) this.portHandlers.set(port, handler);
    else this.portHandlers.delete(port);
  }

  /** ATZ / AT&F: the TE-side settings back to their defaults. */
  resetSettings(): void {
    this.textMode = false;
    this.showTextParameters = false;
    this.csmp = { fo: 17, vp: 167, pid: 0, dcs: 0 };
    this.cnmi = { mode: 0, mt: 0, bm: 0, ds: 0, bfr: 0 };
    this.buffered.length = 0;
  }

  /** The SIM was power-cycled or changed: read the service centre from EF_SMSP again. */
  simChanged(): void {
    this.scaLoaded = false;
    this.sca = undefined;
  }

  memory(slot: 0 | 1 | 2): SmsMemory {
    return this.memories[this.preferred[slot]];
  }

  // ----- service centre ------------------------------------------------------------------------------

  /** +CSCA: set by the TE, else the one EF_SMSP holds (TS 31.102 §4.2.27: TS-Service Centre Address). */
  serviceCentre(): SmsAddress | undefined {
    if (!this.scaLoaded && this.o.simUnavailable() === undefined) {
      this.scaLoaded = true;
      this.sca = this.readSmsp();
    }
    return this.sca;
  }

  setServiceCentre(a: SmsAddress | undefined): void {
    this.sca = a;
    this.scaLoaded = true;
  }

  private readSmsp(): SmsAddress | undefined {
    const sim = this.o.sim();
    if (!sim) return undefined;
    const r = sim.readRecord(FileId.EF_SMSP, 1);
    if (!isOk(r.sw) || r.data.length < 28) return undefined;
    const at = r.data.length - 28;
    // Parameter indicator bit 2 clear = the service-centre address is present.
    if ((r.data[at]! & 0x02) !== 0) return undefined;
    try {
      return readScAddress(new OctetReader(r.data.subarray(at + 13, at + 25)));
    } catch {
      return undefined;
    }
  }

  scField(): Uint8Array {
    try {
      return encodeScAddress(this.serviceCentre());
    } catch {
      return Uint8Array.of(0);
    }
  }

  // ----- storage -------------------------------------------------------------------------------------

  /** Messages of a memory: index → record, free ones left out. */
  list(mem: SmsMemory): { ok: true; value: Map<number, StoredSms> } | { ok: false; cms: number } {
    const cap = mem.capacity();
    if (!cap.ok) return cap;
    const out = new Map<number, StoredSms>();
    for (let i = 1; i <= cap.value; i++) {
      const r = mem.read(i);
      if (!r.ok) return r;
      const s = decodeSmsRecord(r.value);
      if (s) out.set(i, s);
    }
    return { ok: true, value: out };
  }

  /** Used and total records of a memory. */
  usage(mem: SmsMemory): { ok: true; used: number; total: number } | { ok: false; cms: number } {
    const cap = mem.capacity();
    if (!cap.ok) return cap;
    let used = 0;
    for (let i = 1; i <= cap.value; i++) {
      const r = mem.read(i);
      if (!r.ok) return r;
      if ((r.value[0]! & 0x01) === 1) used++;
    }
    return { ok: true, used, total: cap.value };
  }

  /** Reads one message; 321 for an index out of range or a free record. */
  read(mem: SmsMemory, index: number): { ok: true; value: StoredSms } | { ok: false; cms: number } {
    const cap = mem.capacity();
    if (!cap.ok) return cap;
    if (!Number.isInteger(index) || index < 1 || index > cap.value)
      return { ok: false, cms: CmsError.INVALID_MEMORY_INDEX };
    const r = mem.read(index);
    if (!r.ok) return r;
    const s = decodeSmsRecord(r.value);
    return s ? { ok: true, value: s } : { ok: false, cms: CmsError.INVALID_MEMORY_INDEX };
  }

  /** Stores a message in the first free record; 322 when the memory is full. */
  store(
    mem: SmsMemory,
    stat: SmsStat,
    scField: Uint8Array,
    tpdu: Uint8Array,
  ): { ok: true; index: number } | { ok: false; cms: number } {
    const cap = mem.capacity();
    if (!cap.ok) return cap;
    let record: Uint8Array;
    try {
      record = encodeSmsRecord(stat, scField, tpdu);
    } catch {
      return { ok: false, cms: CmsError.INVALID_PDU_MODE_PARAMETER };
    }
    for (let i = 1; i <= cap.value; i++) {
      const r = mem.read(i);
      if (!r.ok) return r;
      if ((r.value[0]! & 0x01) === 0) {
        const w = mem.write(i, record);
        return w.ok ? { ok: true, index: i } : w;
      }
    }
    return { ok: false, cms: CmsError.MEMORY_FULL };
  }

  setStat(mem: SmsMemory, index: number, s: StoredSms, stat: SmsStat): void {
    if (s.stat === stat) return;
    try {
      mem.write(index, encodeSmsRecord(stat, s.scField, s.tpdu));
    } catch {
      // A record that was readable is always rewritable; nothing to do otherwise.
    }
  }

  delete(mem: SmsMemory, index: number): { ok: true } | { ok: false; cms: number } {
    const w = mem.write(index, freeSmsRecord());
    return w.ok ? { ok: true } : w;
  }

  // ----- sending ---------------------------------------------------------------------------------------

  /**
   * Puts an SMS-SUBMIT on the network. The phone numbers its own messages: TP-MR is replaced by the next
   * value of its counter, as handsets do whatever the TE wrote there. Resolves with `+CMGS:`/`+CMSS:`.
   */
  send(tpdu: Uint8Array, answer: '+CMGS' | '+CMSS', sent?: () => void): AtResponse | Promise<AtResponse> {
    const sim = this.o.simUnavailable();
    if (sim !== undefined) return cms(sim);
    if (!this.o.registered() || !this.bearer) return cms(CmsError.NO_NETWORK_SERVICE);
    const out = tpdu.slice();
    const isSubmit = (out[0]! & 0x03) === 0x01;
    if (isSubmit || (out[0]! & 0x03) === 0x02) {
      this.mr = (this.mr + 1) & 0xff;
      out[1] = this.mr;
    }
    const mr = out[1] ?? 0;
    return this.bearer.submit(out).then(
      (outcome) => {
        if (!outcome.ok) return cms(outcome.cause);
        sent?.();
        return ok(`${answer}: ${mr}`);
      },
      () => cms(CmsError.UNKNOWN_ERROR),
    );
  }

  // ----- receiving -------------------------------------------------------------------------------------

  /**
   * The network delivers an SMS-DELIVER or SMS-STATUS-REPORT TPDU. Stored and indicated, or routed to the
   * TE, per +CNMI; the outcome is the RP-ACK / RP-ERROR the phone answers the network with.
   */
  deliver(tpdu: Uint8Array): SmsDeliveryOutcome {
    if (!this.o.registered()) {
      return { ok: false, cause: TpFailureCause.UNSPECIFIED, reason: 'not registered' };
    }
    const d = decodeTpdu(tpdu, 'sc-to-ms');
    if (!d.ok) {
      const cause = d.error.cms < 256 ? d.error.cms : TpFailureCause.UNSPECIFIED;
      return { ok: false, cause, reason: d.error.reason };
    }
    const t: Tpdu = d.value;
    const stored: StoredSms = {
      stat: 0,
      scField: this.scField(),
      smsc: this.serviceCentre(),
      tpdu: tpdu.slice(),
      decoded: t,
    };
    if (t.type === 'SMS-STATUS-REPORT') {
      if (this.cnmi.ds === 1 && this.formatRouted) this.indicate(this.formatRouted(stored));
      if (this.cnmi.ds === 2) return this.storeIncoming(stored, '+CDSI', this.preferred[2]);
      return { ok: true };
    }
    if (t.type !== 'SMS-DELIVER') {
      return { ok: false, cause: TpFailureCause.TPDU_NOT_SUPPORTED, reason: `${t.type} to a phone` };
    }
    const port = portsOf(t.userData.header)?.destination;
    const handler = port === undefined ? undefined : this.portHandlers.get(port);
    if (handler) {
      const originator = `${t.originator.ton === 1 ? '+' : ''}${t.originator.value}`;
      const r = this.portReassembler.add(originator, t.userData, this.portParts++);
      // Parts that never complete must not pile up: the oldest set goes first.
      const pending = this.portReassembler.incomplete();
      if (pending.length > MAX_PENDING_PORT_SETS) {
        this.portReassembler.expire(Math.min(...pending.map((p) => p.firstReceivedAt)) + 1);
      }
      if (r.status === 'complete') {
        try {
          handler(r.message);
        } catch {
          // The network gets its RP-ACK whatever the application makes of the message.
        }
      }
      return { ok: true };
    }
    const messageClass = parseDcs(t.dcs).messageClass;
    // Class 2 belongs on the SIM (TS 23.038 §4) whatever +CPMS says.
    if (messageClass === 2) return this.storeIncoming(stored, this.cnmi.mt === 0 ? undefined : '+CMTI', 'SM');
    const routed = this.cnmi.mt === 2 || (this.cnmi.mt === 3 && messageClass === 3);
    if (routed && this.formatRouted) {
      this.indicate(this.formatRouted(stored));
      return { ok: true };
    }
    return this.storeIncoming(stored, this.cnmi.mt === 0 ? undefined : '+CMTI', this.preferred[2]);
  }

  private storeIncoming(
    s: StoredSms,
    indication: '+CMTI' | '+CDSI' | undefined,
    memName: SmsMemoryName,
  ): SmsDeliveryOutcome {
    const r = this.store(this.memories[memName], 0, s.scField, s.tpdu);
    if (!r.ok) {
      const cause =
        r.cms === CmsError.MEMORY_FULL ? TpFailureCause.MEMORY_CAPACITY_EXCEEDED : TpFailureCause.UNSPECIFIED;
      return { ok: false, cause, reason: `+CMS ERROR: ${r.cms} storing in ${memName}` };
    }
    if (indication) this.indicate(`${indication}: "${memName}",${r.index}`);
    return { ok: true };
  }

  private indicate(lines: string | readonly string[]): void {
    if (this.cnmi.mode === 0) {
      this.buffered.push(lines);
      while (this.buffered.length > MAX_BUFFERED_INDICATIONS) this.buffered.shift();
      return;
    }
    this.o.unsolicited(lines);
  }

  /** +CNMI set: with <mode> 1 or 2, indications buffered in mode 0 are sent (<bfr> 0) or dropped (1). */
  indicationsEnabled(): void {
    if (this.cnmi.mode === 0) return;
    const pending = this.buffered.splice(0);
    if (this.cnmi.bfr === 0) for (const l of pending) this.o.unsolicited(l);
  }
}
