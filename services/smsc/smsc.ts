/**
 * The SMSC: an SMPP 3.4 server for ESMEs (on the smpp package's Session) and the service centre of the
 * simulated network. Mobile-terminated: submit_sm → stored → SMS-DELIVER TPDUs to the phone → receipt.
 * Mobile-originated: a phone's SMS-SUBMIT → stored → deliver_sm to a bound receiver or transceiver.
 * Durable state lives in `SmscStore`; in-memory state is only what is in flight right now.
 */
import net from 'node:net';
import smpp from 'smpp';
import type { Pdu, Session } from 'smpp';
import type { Clock, TimerHandle } from '../../firmware-sim/clock.js';
import {
  decodeGsm7,
  decodeTpdu,
  decodeUcs2,
  encodeGsm7,
  encodeTpdu,
  encodeUcs2,
  encodeUdh,
  isGsm7Encodable,
  parseAddress,
  parseUdhBody,
  TP_STATUS,
  sctsFromEpoch,
  segmentData,
  segmentText,
  smsDeliversForUserData,
  type InformationElement,
  type SmsAddress,
  type UserData,
} from '../../firmware-sim/phone/sms/index.js';
import { frameSocket } from './framing.js';
import type { DeliveryOutcome, MoOutcome, MoReceiver, SimulatedNetwork } from './network.js';
import { SmscStore, type MtMessage, type OutboxRow } from './store.js';
import { ESME, parseSubmitSm, type SubmitSm } from './submit-sm.js';

export interface SmscAccount {
  systemId: string;
  password: string;
}

export interface SmscOptions {
  dbFile: string;
  clock: Clock;
  network: SimulatedNetwork;
  accounts: SmscAccount[];
  /** Epoch ms at clock time 0 (time stamps and receipt dates); default 2026-01-01 on a virtual clock. */
  epochAtClockZero?: number;
  /** Waits before the 2nd, 3rd … delivery attempt (the last one repeats). */
  retryDelaysMs?: number[];
  maxAttempts?: number;
  /** Deliveries to phones in flight at once. */
  maxInFlight?: number;
}

type BindKind = 'transmitter' | 'receiver' | 'transceiver';

interface Client {
  session: Session;
  systemId?: string;
  bind?: BindKind;
  addressRange?: RegExp;
  /** Raw submit_sm PDUs waiting for the Session's event, in order. */
  rawSubmits: Buffer[];
  outboxInFlight: Set<number>;
}

/** SMPP 3.4 §5.2.28 message_state. */
const MESSAGE_STATE = { DELIVERED: 2, UNDELIVERABLE: 5 } as const;
const ESM_UDHI = 0x40;
const ESM_RECEIPT = 0x04;

/** SMPP addresses carry no '+'; the network names phones in E.164 with it. */
const msisdnOf = (ton: number, addr: string): string =>
  ton === 1 && !addr.startsWith('+') ? `+${addr}` : addr;
const smppAddr = (msisdn: string): { ton: number; addr: string } =>
  msisdn.startsWith('+') ? { ton: 1, addr: msisdn.slice(1) } : { ton: 0, addr: msisdn };

class Rejection extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(reason);
  }
}

export class Smsc implements MoReceiver {
  readonly store: SmscStore;
  private readonly server: net.Server;
  private readonly clients = new Set<Client>();
  private readonly sockets = new Set<net.Socket>();
  private readonly mtInFlight = new Set<number>();
  private readonly timers = new Set<TimerHandle>();
  private readonly epoch: number;
  private reference: number;
  private kicked = false;
  private closed = false;
  /** Accepted submit_sm waiting for their group commit (flushed once the Session's read loop ends). */
  private submits: { client: Client; pdu: Pdu; submit: SubmitSm }[] = [];
  /** Delivery outcomes waiting for their group commit. */
  private outcomes: { m: MtMessage; outcome: DeliveryOutcome }[] = [];
  private outcomesScheduled = false;

  constructor(private readonly o: SmscOptions) {
    this.store = new SmscStore(o.dbFile);
    this.epoch = o.epochAtClockZero ?? (o.clock.virtual ? Date.UTC(2026, 0, 1) : Date.now() - o.clock.now());
    // Concatenation references continue after a restart, so a phone never takes a new message for a repeat.
    this.reference = this.store.maxMtId() & 0xff;
    this.server = net.createServer((socket) => this.accept(socket));
    o.network.attachSmsc(this);
    const next = this.store.nextDueAt();
    if (next !== undefined) this.wakeAt(next);
    this.kick();
  }

  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  /** Stops at once, as a killed process would: nothing in flight is waited for. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.o.network.attachSmsc(undefined);
    for (const t of this.timers) this.o.clock.clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.store.close();
  }

  private now(): number {
    return this.epoch + this.o.clock.now();
  }

  // ----------------------------------------------------------------------------------------------------
  // SMPP sessions
  // ----------------------------------------------------------------------------------------------------

  private accept(socket: net.Socket): void {
    if (this.closed) return void socket.destroy();
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    // Real I/O: a self-advancing virtual clock holds its jumps while SMPP traffic flows.
    socket.on('data', () => this.o.clock.touch());
    const framed = frameSocket(socket);
    const session = new smpp.Session({ socket: framed.stream });
    const client: Client = { session, rawSubmits: [], outboxInFlight: new Set() };
    this.clients.add(client);
    framed.onPdu((raw) => {
      if (raw.readUInt32BE(4) === 0x00000004) client.rawSubmits.push(raw);
    });
    session.on('error', () => session.destroy());
    session.on('close', () => {
      this.clients.delete(client);
      client.outboxInFlight.clear();
    });
    session.on('pdu', (pdu: Pdu) => {
      try {
        this.dispatch(client, pdu);
      } catch {
        if (!pdu.isResponse()) session.send(pdu.response({ command_status: ESME.RSYSERR }));
      }
    });
  }

  private dispatch(client: Client, pdu: Pdu): void {
    if (pdu.isResponse()) return; // responses are matched to their requests by the Session
    const reply = (options: Record<string, unknown> = {}): void =>
      void client.session.send(pdu.response(options));
    switch (pdu.command) {
      case 'bind_transmitter':
      case 'bind_receiver':
      case 'bind_transceiver':
        return reply(this.bind(client, pdu));
      case 'enquire_link':
        return reply();
      case 'unbind':
        client.session.send(pdu.response(), () => client.session.close());
        client.bind = undefined;
        return;
      case 'submit_sm': {
        const raw = client.rawSubmits.shift();
        if (client.bind !== 'transmitter' && client.bind !== 'transceiver') {
          return reply({ command_status: ESME.RINVBNDSTS });
        }
        if (!raw) return reply({ command_status: ESME.RSYSERR });
        const parsed = parseSubmitSm(raw);
        if (!parsed.ok) return reply({ command_status: parsed.status });
        // The Session emits every PDU of a read in one loop; they are committed together after it.
        if (this.submits.length === 0) queueMicrotask(() => this.flushSubmits());
        this.submits.push({ client, pdu, submit: parsed.value });
        return;
      }
      case 'generic_nack':
        return;
      default:
        // 'unknown' answers with generic_nack ESME_RINVCMDID; a known but unsupported one with its own response.
        return reply({ command_status: ESME.RINVCMDID });
    }
  }

  /** One transaction for the batch, then the responses, in order: nothing is answered before its commit. */
  private flushSubmits(): void {
    const batch = this.submits;
    this.submits = [];
    if (this.closed) return;
    const answers = this.store.transaction(() =>
      batch.map(({ client, submit }): Record<string, unknown> => {
        try {
          return { message_id: this.submit(client.systemId!, submit) };
        } catch (e) {
          return { command_status: e instanceof Rejection ? e.status : ESME.RSYSERR };
        }
      }),
    );
    batch.forEach(({ client, pdu }, i) => client.session.send(pdu.response(answers[i])));
  }

  private bind(client: Client, pdu: Pdu): Record<string, unknown> {
    if (client.bind) return { command_status: ESME.RALYBND };
    const account = this.o.accounts.find((a) => a.systemId === pdu.system_id);
    if (!account) return { command_status: ESME.RINVSYSID };
    if (account.password !== pdu.password) return { command_status: ESME.RINVPASWD };
    // address_range (§5.2.7, a regular expression) selects the mobile-originated messages this ESME takes.
    const range = typeof pdu.address_range === 'string' ? pdu.address_range : '';
    if (range) {
      try {
        client.addressRange = new RegExp(`^(?:${range})$`);
      } catch {
        return { command_status: ESME.RBINDFAIL };
      }
    }
    client.systemId = account.systemId;
    client.bind = pdu.command.slice('bind_'.length) as BindKind;
    this.kick();
    return { system_id: 'benchtwin-smsc' };
  }

  // ----------------------------------------------------------------------------------------------------
  // Mobile-terminated: submit_sm → SMS-DELIVER
  // ----------------------------------------------------------------------------------------------------

  private submit(systemId: string, s: SubmitSm): string {
    const originator = this.originator(s);
    const destination = msisdnOf(s.destTon, s.destination);
    if (!/^\+?[0-9]{1,20}$/.test(destination)) throw new Rejection(ESME.RINVDSTADR, 'bad destination');
    const { parts, dcs, preview } = this.userDataOf(s);
    this.reference = (this.reference + 1) & 0xff;
    const scts = sctsFromEpoch(this.now(), 0);
    let tpdus: Uint8Array[];
    try {
      tpdus = smsDeliversForUserData({ originator, scts, pid: s.protocolId }, dcs, parts).map(encodeTpdu);
    } catch (e) {
      throw new Rejection(ESME.RINVMSGLEN, String(e));
    }
    const stored = this.store.insertMt({
      systemId,
      source: s.source,
      destination,
      tpdus,
      registeredDelivery: s.registeredDelivery,
      submittedAt: this.now(),
      preview,
      ...(s.userMessageReference === undefined ? {} : { clientRef: s.userMessageReference }),
    });
    this.kick();
    return String(stored.id);
  }

  private originator(s: SubmitSm): SmsAddress {
    if (s.sourceTon === 5) {
      if (!s.source || s.source.length > 11 || !isGsm7Encodable(s.source)) {
        throw new Rejection(ESME.RINVSRCADR, 'alphanumeric source must be 1–11 GSM characters');
      }
      return { ton: 5, npi: 0, value: s.source };
    }
    const digits = s.source.replace(/^\+/, '');
    if (!/^[0-9]{1,20}$/.test(digits)) throw new Rejection(ESME.RINVSRCADR, 'bad source address');
    return { ton: s.sourceTon & 7, npi: s.sourceNpi & 0x0f, value: digits };
  }

  private userDataOf(s: SubmitSm): { parts: UserData[]; dcs: number; preview: string } {
    let body = s.message;
    let header: InformationElement[] | undefined;
    if (s.esmClass & ESM_UDHI) {
      const udhl = body[0];
      if (udhl === undefined || udhl + 1 > body.length)
        throw new Rejection(ESME.RINVESMCLASS, 'UDHI without a UDH');
      try {
        header = parseUdhBody(body.subarray(1, 1 + udhl));
      } catch {
        throw new Rejection(ESME.RINVMSGLEN, 'malformed UDH');
      }
      body = body.subarray(1 + udhl);
    }
    let text: string | undefined;
    let data: Uint8Array | undefined;
    switch (s.dataCoding) {
      case 0x00: // SMSC default alphabet: GSM 7-bit, one septet per octet
        text = decodeGsm7(body);
        break;
      case 0x01:
      case 0x03:
        text = Buffer.from(body).toString('latin1');
        break;
      case 0x08:
        text = decodeUcs2(body);
        break;
      case 0x02:
      case 0x04:
        data = Uint8Array.from(body);
        break;
      default:
        throw new Rejection(ESME.RINVDCS, `data_coding ${s.dataCoding} not supported`);
    }
    const preview = (text ?? '').slice(0, 20).replace(/[^A-Za-z0-9 .,:!?-]/g, '?');
    const reference = (this.reference + 1) & 0xff;
    if (header) {
      // The ESME segmented the message itself: one part as given.
      const dcs = data ? 0x04 : isGsm7Encodable(text!) ? 0x00 : 0x08;
      return { parts: [{ header, ...(data ? { data } : { text: text! }) }], dcs, preview };
    }
    // Application ports from the TLVs go into every part's header (a WAP Push arrives this way).
    const portHeader: InformationElement[] =
      s.destinationPort === undefined
        ? []
        : [{ kind: 'ports', portBits: 16, destination: s.destinationPort, source: s.sourcePort ?? 0 }];
    if (data) return { parts: segmentData(data, { reference, header: portHeader }), dcs: 0x04, preview };
    try {
      const seg = segmentText(text!, { reference, header: portHeader });
      return { parts: seg.parts, dcs: seg.dcs, preview };
    } catch (e) {
      throw new Rejection(ESME.RINVMSGLEN, String(e));
    }
  }

  // ----------------------------------------------------------------------------------------------------
  // Mobile-originated: SMS-SUBMIT → deliver_sm
  // ----------------------------------------------------------------------------------------------------

  async acceptMo(msisdn: string, bytes: Uint8Array): Promise<MoOutcome> {
    if (this.closed) return { ok: false, cause: 0xc0, reason: 'SC busy' };
    const d = decodeTpdu(bytes, 'ms-to-sc');
    if (!d.ok) return { ok: false, cause: d.error.cms < 256 ? d.error.cms : 0xb0, reason: d.error.reason };
    // TP-FCS A1 "command unsupported" for an SMS-COMMAND, B0 "TPDU not supported" for anything else.
    if (d.value.type === 'SMS-COMMAND')
      return { ok: false, cause: 0xa1, reason: 'SMS-COMMAND not supported' };
    if (d.value.type !== 'SMS-SUBMIT') {
      return { ok: false, cause: 0xb0, reason: `${d.value.type} from a phone` };
    }
    const t = d.value;
    const destination = t.destination.ton === 1 ? `+${t.destination.value}` : t.destination.value;
    // Phone to phone: a subscriber of this network (or a number it routes out) gets the part as an
    // SMS-DELIVER from the sender, header and coding as submitted, queued like any mobile-terminated message.
    if (this.o.network.reaches(destination)) {
      const deliver = encodeTpdu({
        type: 'SMS-DELIVER',
        moreMessagesToSend: false,
        loopPrevention: false,
        replyPath: false,
        statusReportIndication: false,
        originator: parseAddress(msisdn),
        pid: t.pid,
        dcs: t.dcs,
        scts: sctsFromEpoch(this.now(), 0),
        userData: t.userData,
      });
      const stored = this.store.insertMt({
        systemId: '',
        source: msisdn,
        destination,
        tpdus: [deliver],
        registeredDelivery: 0,
        submittedAt: this.now(),
        preview: t.userData.text?.slice(0, 40) ?? '',
      });
      this.kick();
      return { ok: true, messageId: String(stored.id) };
    }
    const ud = t.userData;
    let payload: Uint8Array;
    let dataCoding: number;
    if (ud.data !== undefined) {
      payload = ud.data;
      dataCoding = 0x04;
    } else if (isGsm7Encodable(ud.text ?? '')) {
      payload = Uint8Array.from(encodeGsm7(ud.text ?? ''));
      dataCoding = 0x00;
    } else {
      payload = encodeUcs2(ud.text ?? '');
      dataCoding = 0x08;
    }
    const udh = ud.header ? encodeUdh(ud.header) : new Uint8Array(0);
    const id = this.store.insertOutbox({
      systemId: '',
      kind: 'mo',
      source: msisdn,
      destination,
      esmClass: ud.header ? ESM_UDHI : 0,
      dataCoding,
      payload: Uint8Array.from([...udh, ...payload]),
      receiptedMessageId: '',
      messageState: 0,
      ...(t.statusReportRequest ? { statusReportMr: t.messageReference } : {}),
    });
    this.kick();
    return { ok: true, messageId: `mo-${id}` };
  }

  // ----------------------------------------------------------------------------------------------------
  // Pumps
  // ----------------------------------------------------------------------------------------------------

  /** Runs both pumps soon (once per turn of the event loop, however many kicks). */
  private kick(): void {
    if (this.kicked || this.closed) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      if (this.closed) return;
      this.pumpMt();
      this.pumpOutbox();
    });
  }

  private wakeAt(at: number): void {
    const handle = this.o.clock.setTimeout(
      () => {
        this.timers.delete(handle);
        // Node's timers run on the event loop's cached millisecond time and can fire a fraction of a
        // millisecond before the clock reads `at`: the message would not be due yet, and nothing would
        // wake the queue again. Wait out the rest instead.
        if (at > this.now()) this.wakeAt(at);
        else this.kick();
      },
      Math.max(0, Math.ceil(at - this.now())),
    );
    this.timers.add(handle);
  }

  private pumpMt(): void {
    const room = (this.o.maxInFlight ?? 256) - this.mtInFlight.size;
    if (room <= 0) return;
    const due = this.store
      .dueMt(this.now(), room + this.mtInFlight.size)
      .filter((m) => !this.mtInFlight.has(m.id));
    for (const m of due.slice(0, room)) this.deliverMt(m);
  }

  private deliverMt(m: MtMessage): void {
    this.mtInFlight.add(m.id);
    void this.o.network
      .deliver(m.destination, { messageId: String(m.id), tpdus: m.tpdus })
      .then((outcome) => {
        if (this.closed) return;
        this.outcomes.push({ m, outcome });
        if (this.outcomesScheduled) return;
        this.outcomesScheduled = true;
        setImmediate(() => this.flushOutcomes());
      });
  }

  /** Commits the outcomes that arrived together; a row leaves the in-flight set only once committed. */
  private flushOutcomes(): void {
    this.outcomesScheduled = false;
    const batch = this.outcomes;
    this.outcomes = [];
    if (this.closed) return;
    const delays = this.o.retryDelaysMs ?? [1000, 2000, 5000, 10_000, 30_000, 60_000];
    const wakes: number[] = [];
    this.store.transaction(() => {
      for (const { m, outcome } of batch) {
        const attempts = m.attempts + 1;
        if (outcome === 'delivered') {
          this.store.finishMt(m.id, 'delivered', this.now(), this.receiptFor(m, true));
        } else if (attempts >= (this.o.maxAttempts ?? 10)) {
          this.store.finishMt(m.id, 'failed', this.now(), this.receiptFor(m, false));
        } else {
          const at = this.now() + delays[Math.min(attempts - 1, delays.length - 1)]!;
          this.store.retryMt(m.id, at);
          wakes.push(at);
        }
      }
    });
    for (const { m } of batch) this.mtInFlight.delete(m.id);
    for (const at of new Set(wakes)) this.wakeAt(at);
    this.kick();
  }

  /** The SMS-STATUS-REPORT a phone asked for with TP-SRR, queued for it like any mobile-terminated message. */
  private queueStatusReport(row: OutboxRow, messageReference: number): void {
    const now = sctsFromEpoch(this.now(), 0);
    const report = encodeTpdu({
      type: 'SMS-STATUS-REPORT',
      moreMessagesToSend: false,
      forCommand: false,
      messageReference,
      recipient: parseAddress(row.destination),
      scts: now,
      dischargeTime: now,
      status: TP_STATUS.RECEIVED,
    });
    this.store.insertMt({
      systemId: '',
      source: 'SMSC',
      destination: row.source,
      tpdus: [report],
      registeredDelivery: 0,
      submittedAt: this.now(),
      preview: '',
    });
  }

  /** SMPP 3.4 Appendix B receipt, when registered_delivery asks for one for this outcome. */
  private receiptFor(m: MtMessage, delivered: boolean): Omit<OutboxRow, 'id'> | undefined {
    const wanted = m.registeredDelivery & 0x03;
    if (wanted === 0 || (wanted === 2 && delivered) || wanted === 3) return undefined;
    const date = (ms: number): string => {
      const d = new Date(ms);
      const p = (n: number): string => String(n).padStart(2, '0');
      return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
    };
    const id = String(m.id);
    const text =
      `id:${id} sub:001 dlvrd:${delivered ? '001' : '000'} submit date:${date(m.submittedAt)} ` +
      `done date:${date(this.now())} stat:${delivered ? 'DELIVRD' : 'UNDELIV'} err:000 text:${m.preview}`;
    return {
      systemId: m.systemId,
      kind: 'receipt',
      source: m.destination,
      destination: m.source,
      esmClass: ESM_RECEIPT,
      dataCoding: 0x00,
      payload: Uint8Array.from(encodeGsm7(text)),
      receiptedMessageId: id,
      messageState: delivered ? MESSAGE_STATE.DELIVERED : MESSAGE_STATE.UNDELIVERABLE,
    };
  }

  private pumpOutbox(): void {
    const receivers = [...this.clients].filter((c) => c.bind === 'receiver' || c.bind === 'transceiver');
    if (receivers.length === 0) return;
    const inFlight = new Set(receivers.flatMap((c) => [...c.outboxInFlight]));
    let turn = 0;
    for (const row of this.store.queuedOutbox(512)) {
      if (inFlight.has(row.id)) continue;
      const candidates = receivers.filter((c) =>
        row.kind === 'receipt'
          ? c.systemId === row.systemId
          : !c.addressRange || c.addressRange.test(row.destination.replace(/^\+/, '')),
      );
      const client = candidates[turn++ % Math.max(1, candidates.length)];
      if (client) this.sendOutbox(client, row);
    }
  }

  private sendOutbox(client: Client, row: OutboxRow): void {
    client.outboxInFlight.add(row.id);
    const src = smppAddr(row.source);
    const dst = smppAddr(row.destination);
    const pdu = new smpp.PDU('deliver_sm', {
      source_addr_ton: src.ton,
      source_addr_npi: 1,
      source_addr: src.addr,
      dest_addr_ton: dst.ton,
      dest_addr_npi: 1,
      destination_addr: dst.addr,
      esm_class: row.esmClass,
      data_coding: row.dataCoding,
      short_message: Buffer.from(row.payload),
      ...(row.kind === 'receipt'
        ? { receipted_message_id: row.receiptedMessageId, message_state: row.messageState }
        : {}),
    });
    client.session.send(pdu, (resp: Pdu) => {
      if (this.closed) return;
      client.outboxInFlight.delete(row.id);
      if (resp.command_status !== ESME.ROK) return this.wakeAt(this.now() + 1000);
      this.store.transaction(() => {
        this.store.outboxDelivered(row.id);
        if (row.statusReportMr !== undefined) this.queueStatusReport(row, row.statusReportMr);
      });
      this.kick();
    });
  }
}
