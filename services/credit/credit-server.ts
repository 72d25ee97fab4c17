/**
 * An issuer's credit server (seed 001, credit server 13 / 13A): ISO 8583 over TCP with the 2-byte length
 * framing of docs/ISO8583.md. It signs on and echoes (0800), takes the gateway's keys of encrypted card
 * numbers (0800, field 70 = 161), authorizes (0100 → 0110, 0200 → 0210) against its cardholders' expiry
 * and credit limit, and reverses (0400 → 0410). Requests are idempotent by (terminal id, STAN): a repeat
 * gets the stored answer, another request under a used key gets 94. Each decision is committed to SQLite
 * before its answer is written, so a killed and restarted server answers a repeat the same way.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { whileHeld, type Clock } from '../../firmware-sim/clock.js';
import { ResponseCode } from '../../firmware-sim/cat/credit-host.js';
import {
  buildAuthorizationResponse,
  buildNetworkManagementResponse,
  isRequestMti,
  MTI,
  NetworkManagementCode,
  readAuthorizationRequest,
  readKeyDelivery,
  readNetworkManagementRequest,
  readReversalRequest,
  responseMti,
  type AuthorizationRequestFields,
  type Iso8583DecodeError,
  type Iso8583Message,
} from '../../firmware-sim/cat/iso8583/index.js';
import { decryptPan } from '../../firmware-sim/payment/pan-encryption.js';
import { TcpCapture } from '../../devices/capture/tcp-pcap.js';
import { Iso8583Link } from '../../devices/cat/iso8583-link.js';
import { loadCardholders, type Cardholder } from './cardholders.js';
import { CreditStore, type AuthorizationRow } from './store.js';

export interface CreditServerOptions {
  dbFile: string;
  clock: Clock;
  /** The issuer this server is (FIG. 9), e.g. "2a11111"; named in log lines and the journal. */
  issuerCode: string;
  /** The cards, or a cardholders YAML file (only the cards of `issuerCode` and those naming no issuer). */
  cardholders: readonly Cardholder[] | string;
  port?: number;
  host?: string;
  /** Epoch ms at clock time 0 (the calendar date expiry is checked against). */
  epochAtClockZero?: number;
  /** A pcapng file of every connection, or a capture shared with others. */
  capture?: string | TcpCapture;
  /** Where log lines go (dropped connections, format errors); default stderr. */
  log?: (line: string) => void;
  /** A frame begun but not finished within this time ends the connection; default 30 s on the clock. */
  partialFrameTimeoutMs?: number;
}

export interface JournalRow {
  kind: 'authorization' | 'financial' | 'reversal';
  issuerCode: string;
  terminalId: string;
  stan: number;
  mti: string;
  /** The card number the issuer charged (decrypted in embodiment 2); absent when none was found. */
  pan?: string;
  /** Embodiment 2: the encrypted number the request carried. */
  encryptedPan?: string;
  amountMinor: number;
  currencyNumeric?: string;
  merchantId?: string;
  paymentMethod?: string;
  installments?: number;
  transactionNumber?: string;
  responseCode: string;
  approvalCode?: string;
  rrn?: string;
  /** For an authorization: reversed since. For a reversal: the STAN of the authorization it names. */
  reversed?: boolean;
  originalStan?: number;
  /** ISO 8601, server calendar time. */
  at: string;
}

interface Answer {
  responseCode: string;
  approvalCode?: string;
  rrn?: string;
}

const APPROVAL_ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';

function approvalCode(): string {
  return [...randomBytes(6)].map((b) => APPROVAL_ALPHABET[b % APPROVAL_ALPHABET.length]).join('');
}

/** Transaction fields that must match for a request under a used (terminal, STAN) to be a repeat. */
function fingerprint(r: AuthorizationRequestFields): string {
  return [
    r.mti.slice(0, 3),
    r.pan,
    r.processingCode,
    r.amountMinor,
    r.currencyNumeric,
    r.expiry,
    r.merchantId,
    r.transactionNumber,
  ].join('|');
}

export class CreditServer {
  private store: CreditStore | undefined;
  private server: net.Server | undefined;
  private readonly links = new Set<Iso8583Link>();
  private o!: CreditServerOptions;
  private epoch = 0;
  private capture: TcpCapture | undefined;
  private ownCapture = false;

  /** Opens the database, loads the cardholders and listens; resolves with the bound port. */
  async start(options: CreditServerOptions): Promise<number> {
    if (this.server) throw new Error('credit server already started');
    this.o = options;
    this.epoch =
      options.epochAtClockZero ??
      (options.clock.virtual ? Date.UTC(2026, 0, 1) : Date.now() - options.clock.now());
    const cards =
      typeof options.cardholders === 'string'
        ? loadCardholders(options.cardholders, options.issuerCode)
        : options.cardholders;
    this.store = new CreditStore(options.dbFile, options.clock);
    this.store.loadCardholders(cards);
    await this.store.durable();
    this.ownCapture = typeof options.capture === 'string';
    this.capture =
      typeof options.capture === 'string'
        ? new TcpCapture(options.capture, { now: () => this.now() })
        : options.capture;
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops at once, as a killed process would: connections are cut, nothing in flight is waited for. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const link of this.links) link.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.store?.close();
    if (this.ownCapture) this.capture?.close();
  }

  /** The authorizations and reversals, in the order they were decided. */
  journal(): JournalRow[] {
    const store = this.requireStore();
    const at = (ms: number): string => new Date(ms).toISOString();
    const rows: (JournalRow & { order: number })[] = [];
    for (const a of store.authorizations()) {
      rows.push({
        order: a.seq,
        kind: a.mti[1] === '2' ? 'financial' : 'authorization',
        issuerCode: this.o.issuerCode,
        terminalId: a.terminalId,
        stan: a.stan,
        mti: a.mti,
        ...(a.pan !== null ? { pan: a.pan } : {}),
        ...(a.encryptedPan !== null ? { encryptedPan: a.encryptedPan } : {}),
        amountMinor: a.amount,
        currencyNumeric: a.currency,
        merchantId: a.merchantId,
        paymentMethod: a.paymentMethod,
        ...(a.installments !== null ? { installments: a.installments } : {}),
        transactionNumber: a.transactionNumber,
        responseCode: a.responseCode,
        ...(a.approvalCode !== null ? { approvalCode: a.approvalCode } : {}),
        rrn: a.rrn,
        reversed: a.reversed,
        at: at(a.createdAt),
      });
    }
    for (const r of store.reversals()) {
      rows.push({
        order: r.seq,
        kind: 'reversal',
        issuerCode: this.o.issuerCode,
        terminalId: r.terminalId,
        stan: r.stan,
        mti: MTI.ReversalRequest,
        amountMinor: r.amount,
        responseCode: r.responseCode,
        originalStan: r.originalStan,
        at: at(r.createdAt),
      });
    }
    return rows.sort((a, b) => a.order - b.order).map(({ order: _order, ...row }) => row);
  }

  private requireStore(): CreditStore {
    if (!this.store) throw new Error('credit server not started');
    return this.store;
  }

  private now(): number {
    return this.epoch + this.o.clock.now();
  }

  private log(line: string): void {
    const text = `credit ${this.o.issuerCode}: ${line}`;
    if (this.o.log) this.o.log(text);
    else process.stderr.write(text + '\n');
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const stream = this.capture?.openStream(
      { address: socket.remoteAddress ?? '127.0.0.1', port: socket.remotePort ?? 0 },
      { address: socket.localAddress ?? '127.0.0.1', port: socket.localPort ?? 0 },
    );
    const link: Iso8583Link = new Iso8583Link(socket, {
      clock: this.o.clock,
      ...(stream ? { capture: { stream, side: 'server' as const } } : {}),
      onMessage: (m) => void whileHeld(this.o.clock, () => this.answer(link, m, peer)),
      onDecodeError: (e) => void whileHeld(this.o.clock, () => this.formatError(link, e, peer)),
      onClose: () => this.links.delete(link),
      partialFrameTimeoutMs: this.o.partialFrameTimeoutMs ?? 30_000,
      onPartialFrameTimeout: (n) =>
        this.log(`dropped connection from ${peer}: a frame left incomplete (${n} bytes waiting)`),
    });
    this.links.add(link);
  }

  /** Sends once every decision so far is on disk; when the disk failed, no answer (the acquirer repeats). */
  private async reply(link: Iso8583Link, response: Iso8583Message): Promise<void> {
    try {
      await this.store!.durable();
    } catch (e) {
      this.log(`no answer to ${response.mti} STAN ${response.fields[11]}: ${(e as Error).message}`);
      link.destroy();
      return;
    }
    if (this.server) link.send(response);
  }

  /** A frame that did not decode: 30 when the request's MTI, 11 and 41 were read, else the connection ends. */
  private async formatError(link: Iso8583Link, e: Iso8583DecodeError, peer: string): Promise<void> {
    const mti = e.mti !== undefined ? responseMti(e.mti) : undefined;
    const { 7: f7, 11: stan, 41: terminal } = e.partial;
    if (mti && stan !== undefined && terminal !== undefined) {
      this.log(`format error from ${peer} (${e.mti} STAN ${stan}): ${e.reason}; answered 30`);
      const fields: Record<number, string> = { 11: stan, 39: ResponseCode.FormatError, 41: terminal };
      if (f7 !== undefined) fields[7] = f7;
      return this.reply(link, { mti, fields });
    }
    this.log(
      `dropped connection from ${peer}: ${e.kind}${e.field !== undefined ? ` (field ${e.field})` : ''}: ${e.reason}`,
    );
    link.destroy();
  }

  private async answer(link: Iso8583Link, m: Iso8583Message, peer: string): Promise<void> {
    if (!this.store) return;
    try {
      const response = this.handle(m, peer);
      if (response) return this.reply(link, response);
      else {
        this.log(`dropped connection from ${peer}: ${m.mti} is not a request this server answers`);
        link.destroy();
      }
    } catch (e) {
      // A fault of ours (the database): 96, never a crash.
      this.log(`system malfunction on ${m.mti} from ${peer}: ${(e as Error).message}`);
      const mti = responseMti(m.mti);
      if (mti && m.fields[11] !== undefined && m.fields[41] !== undefined) {
        return this.reply(link, {
          mti,
          fields: { 11: m.fields[11], 39: ResponseCode.SystemMalfunction, 41: m.fields[41] },
        });
      } else link.destroy();
    }
  }

  private handle(m: Iso8583Message, peer: string): Iso8583Message | undefined {
    switch (m.mti) {
      case MTI.NetworkManagementRequest:
        return buildNetworkManagementResponse(m, this.networkManagement(m, peer));
      case MTI.AuthorizationRequest:
      case MTI.AuthorizationRequestRepeat:
      case MTI.FinancialRequest:
      case MTI.FinancialRequestRepeat:
        return buildAuthorizationResponse(m, this.authorize(m, peer));
      case MTI.ReversalRequest:
      case MTI.ReversalRequestRepeat:
        return buildAuthorizationResponse(m, { responseCode: this.reverse(m, peer) });
      default: {
        if (!isRequestMti(m.mti) || m.fields[11] === undefined || m.fields[41] === undefined)
          return undefined;
        this.log(`${m.mti} from ${peer} is not handled here; answered 12`);
        return {
          mti: responseMti(m.mti)!,
          fields: { 11: m.fields[11], 39: ResponseCode.InvalidTransaction, 41: m.fields[41] },
        };
      }
    }
  }

  private networkManagement(m: Iso8583Message, peer: string): string {
    const r = readNetworkManagementRequest(m);
    if (!r.ok) {
      this.log(`format error in 0800 from ${peer}: ${r.reason}`);
      return ResponseCode.FormatError;
    }
    switch (r.value.code) {
      case NetworkManagementCode.SignOn:
      case NetworkManagementCode.SignOff:
      case NetworkManagementCode.EchoTest:
        return ResponseCode.Approved;
      case NetworkManagementCode.KeyDelivery: {
        const k = readKeyDelivery(r.value.privateData);
        if (!k.ok) {
          this.log(`format error in key delivery from ${peer}: ${k.reason}`);
          return ResponseCode.FormatError;
        }
        const store = this.requireStore();
        return store.transaction(() => {
          const known = store.key(k.value.encryptedPan);
          if (known) {
            // The same delivery again is a repeat; another key for the same number is not.
            return known.key === k.value.key && known.transactionNumber === k.value.transactionNumber
              ? ResponseCode.Approved
              : ResponseCode.DuplicateTransmission;
          }
          store.insertKey({
            encryptedPan: k.value.encryptedPan,
            key: k.value.key,
            transactionNumber: k.value.transactionNumber,
            terminalId: r.value.terminalId,
            stan: r.value.stan,
            deliveredAt: this.now(),
          });
          return ResponseCode.Approved;
        });
      }
      default:
        return ResponseCode.InvalidTransaction;
    }
  }

  /** Today as YYMM on the server's calendar. */
  private currentYymm(): string {
    const d = new Date(this.now());
    return String(d.getUTCFullYear() % 100).padStart(2, '0') + String(d.getUTCMonth() + 1).padStart(2, '0');
  }

  private rrn(id: number): string {
    // YDDDhh + a six-digit sequence, the usual shape of a retrieval reference number.
    const d = new Date(this.now());
    const day = Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
    return (
      String(d.getUTCFullYear() % 10) +
      String(day).padStart(3, '0') +
      String(d.getUTCHours()).padStart(2, '0') +
      String(id % 1_000_000).padStart(6, '0')
    );
  }

  private authorize(m: Iso8583Message, peer: string): Answer {
    const r = readAuthorizationRequest(m);
    if (!r.ok) {
      this.log(`format error in ${m.mti} from ${peer}: ${r.reason}`);
      return { responseCode: ResponseCode.FormatError };
    }
    const req = r.value;
    const store = this.requireStore();
    return store.transaction((): Answer => {
      const stored = store.authorization(req.terminalId, req.stan);
      if (stored) {
        if (stored.fingerprint !== fingerprint(req))
          return { responseCode: ResponseCode.DuplicateTransmission };
        return storedAnswer(stored);
      }
      const id = store.nextAuthorizationId();
      const decide = (): { code: string; pan?: string; encrypted?: string } => {
        // A reversal came first (the acquirer gave up on this request): never approve it now.
        if (store.reversalOf(req.terminalId, req.stan)) return { code: ResponseCode.InvalidTransaction };
        let pan = req.pan;
        let encrypted: string | undefined;
        const key = store.key(req.pan);
        if (key) {
          encrypted = req.pan;
          if (key.usedBy !== null || key.transactionNumber !== req.transactionNumber) {
            return { code: ResponseCode.InvalidTransaction, encrypted };
          }
          store.useKey(req.pan, `${req.terminalId}|${req.stan}`);
          try {
            pan = decryptPan(req.pan, Buffer.from(key.key, 'hex'));
          } catch {
            return { code: ResponseCode.FormatError, encrypted };
          }
        }
        const card = store.cardholder(pan);
        if (!card) return { code: ResponseCode.InvalidCardNumber, ...(encrypted ? { encrypted } : {}) };
        const withPan = { pan, ...(encrypted ? { encrypted } : {}) };
        if (req.expiry !== card.expiry || card.expiry < this.currentYymm()) {
          return { code: ResponseCode.ExpiredCard, ...withPan };
        }
        if (req.amountMinor <= 0) return { code: ResponseCode.InvalidAmount, ...withPan };
        if (card.used + req.amountMinor > card.creditLimit)
          return { code: ResponseCode.NotSufficientFunds, ...withPan };
        store.addUsed(pan, req.amountMinor);
        return { code: ResponseCode.Approved, ...withPan };
      };
      const d = decide();
      const answer: Answer = {
        responseCode: d.code,
        rrn: this.rrn(id),
        ...(d.code === ResponseCode.Approved ? { approvalCode: approvalCode() } : {}),
      };
      store.insertAuthorization({
        terminalId: req.terminalId,
        stan: req.stan,
        mti: req.mti.slice(0, 3) + '0',
        fingerprint: fingerprint(req),
        pan: d.pan ?? null,
        encryptedPan: d.encrypted ?? null,
        amount: req.amountMinor,
        currency: req.currencyNumeric,
        merchantId: req.merchantId,
        paymentMethod: req.paymentMethod,
        installments: req.installments ?? null,
        transactionNumber: req.transactionNumber,
        transmittedAt: req.transmittedAt,
        responseCode: answer.responseCode,
        approvalCode: answer.approvalCode ?? null,
        rrn: answer.rrn!,
        createdAt: this.now(),
      });
      return answer;
    });
  }

  private reverse(m: Iso8583Message, peer: string): string {
    const r = readReversalRequest(m);
    if (!r.ok) {
      this.log(`format error in ${m.mti} from ${peer}: ${r.reason}`);
      return ResponseCode.FormatError;
    }
    const req = r.value;
    const store = this.requireStore();
    const print = `${fingerprint(req)}|${req.original.stan}`;
    return store.transaction(() => {
      const stored = store.reversal(req.terminalId, req.stan);
      if (stored)
        return stored.fingerprint === print ? stored.responseCode : ResponseCode.DuplicateTransmission;
      const original = store.authorization(req.terminalId, req.original.stan);
      let code: string = ResponseCode.Approved;
      let restored = 0;
      if (original && original.amount !== req.amountMinor) code = ResponseCode.InvalidAmount;
      else if (
        original &&
        original.responseCode === ResponseCode.Approved &&
        !original.reversed &&
        original.pan
      ) {
        store.addUsed(original.pan, -original.amount);
        restored = 1;
      }
      if (original && code === ResponseCode.Approved) store.markReversed(original.id);
      store.insertReversal({
        terminalId: req.terminalId,
        stan: req.stan,
        fingerprint: print,
        originalMti: req.original.mti,
        originalStan: req.original.stan,
        amount: req.amountMinor,
        restored,
        responseCode: code,
        createdAt: this.now(),
      });
      return code;
    });
  }
}

function storedAnswer(row: AuthorizationRow): Answer {
  return {
    responseCode: row.responseCode,
    rrn: row.rrn,
    ...(row.approvalCode !== null ? { approvalCode: row.approvalCode } : {}),
  };
}
