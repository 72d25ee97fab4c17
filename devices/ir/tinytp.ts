/**
 * Tiny TP (IrDA Tiny TP 1.1): credit-based flow control and segmentation/reassembly over an LSAP
 * connection. Connect user data: P bit + initial credit, then (P) a parameter list with MaxSduSize
 * (PI 0x01). Data PDUs: M bit (more segments follow) + returned credit, then data; a PDU without data
 * only returns credit and consumes none.
 */
import { LM_REASON, type IrlmpMux, type LsapConnection, type LsapService } from './irlmp.js';

export const TTP_HEADER = 1;
export const PI_MAX_SDU_SIZE = 0x01;
const M_BIT = 0x80;
const P_BIT = 0x80;
const MAX_CREDIT = 0x7f;

export interface TtpConnectParams {
  initialCredit: number;
  /** 0: no segmentation/reassembly. */
  maxSduSize: number;
}

export function encodeTtpConnect(p: TtpConnectParams): Uint8Array {
  const credit = Math.min(p.initialCredit, MAX_CREDIT);
  if (p.maxSduSize === 0) return Uint8Array.from([credit]);
  const size = Math.min(p.maxSduSize, 0xffff);
  return Uint8Array.from([P_BIT | credit, 4, PI_MAX_SDU_SIZE, 2, size >>> 8, size & 0xff]);
}

export type TtpConnectParse = { ok: true; params: TtpConnectParams } | { ok: false; error: string };

export function parseTtpConnect(b: Uint8Array): TtpConnectParse {
  if (b.length < 1) return { ok: false, error: 'TinyTP connect without a credit byte' };
  const params = { initialCredit: b[0]! & MAX_CREDIT, maxSduSize: 0 };
  if (!(b[0]! & P_BIT)) return { ok: true, params };
  const plen = b[1];
  if (plen === undefined || b.length < 2 + plen) return { ok: false, error: 'TinyTP parameters truncated' };
  for (let at = 2; at < 2 + plen;) {
    if (at + 2 > 2 + plen) return { ok: false, error: 'TinyTP parameter truncated' };
    const pi = b[at]!;
    const pl = b[at + 1]!;
    if (at + 2 + pl > 2 + plen) return { ok: false, error: 'TinyTP parameter value truncated' };
    if (pi === PI_MAX_SDU_SIZE) {
      let v = 0;
      for (let i = 0; i < pl; i++) v = v * 256 + b[at + 2 + i]!;
      params.maxSduSize = v;
    }
    at += 2 + pl;
  }
  return { ok: true, params };
}

export interface TinyTpOptions {
  /** Credits granted to the peer at connect time (each lets it send one data PDU). */
  initialCredit?: number;
  /** Largest SDU we reassemble; 0 = no SAR. */
  rxMaxSduSize?: number;
}

export interface TinyTpStats {
  pdusSent: number;
  pdusReceived: number;
  creditOnlySent: number;
  sdusDelivered: number;
}

const DEFAULT_CREDIT = 28;
const DEFAULT_MAX_SDU = 0xffff;

/** One Tiny TP connection; deliver SDUs to `onSdu`. */
export class TinyTpConnection {
  onSdu: (sdu: Uint8Array) => void = () => undefined;
  onDisconnect: (reason: number) => void = () => undefined;
  readonly stats: TinyTpStats = { pdusSent: 0, pdusReceived: 0, creditOnlySent: 0, sdusDelivered: 0 };
  private sendCredit: number;
  private readonly txMaxSdu: number;
  /** Credits owed back to the peer for PDUs we consumed. */
  private owed = 0;
  private outstanding: number;
  private readonly txQueue: { data: Uint8Array; more: boolean }[] = [];
  private reassembly: Uint8Array[] = [];
  private reassembled = 0;

  constructor(
    readonly lsap: LsapConnection,
    peer: TtpConnectParams,
    private readonly granted: number,
    private readonly rxMaxSdu: number,
  ) {
    this.sendCredit = peer.initialCredit;
    this.txMaxSdu = peer.maxSduSize;
    this.outstanding = granted;
    lsap.onData = (d) => this.receive(d);
    lsap.onDisconnect = (reason) => this.onDisconnect(reason);
  }

  get open(): boolean {
    return this.lsap.state === 'open';
  }

  /** Data bytes per PDU. */
  get maxSegment(): number {
    return this.lsap.maxData - TTP_HEADER;
  }

  /** The largest SDU `send` takes whole; without SAR larger writes become several SDUs. */
  get maxSdu(): number {
    return this.txMaxSdu === 0 ? this.maxSegment : this.txMaxSdu;
  }

  /** PDUs queued waiting for credit. */
  get queued(): number {
    return this.txQueue.length;
  }

  /**
   * Send one SDU, segmented when the peer allows SAR. Without SAR (MaxSduSize 0) the data goes out as
   * consecutive one-PDU SDUs, as a stream socket over Tiny TP does.
   */
  send(sdu: Uint8Array): void {
    const seg = this.maxSegment;
    if (this.txMaxSdu > 0 && sdu.length > this.txMaxSdu) {
      throw new RangeError(
        `TinyTP: SDU of ${sdu.length} bytes exceeds the peer's MaxSduSize ${this.txMaxSdu}`,
      );
    }
    const sar = this.txMaxSdu > 0;
    if (sdu.length === 0) this.txQueue.push({ data: sdu, more: false });
    for (let at = 0; at < sdu.length; at += seg) {
      const end = Math.min(at + seg, sdu.length);
      this.txQueue.push({ data: sdu.subarray(at, end), more: sar && end < sdu.length });
    }
    this.pump();
  }

  disconnect(): void {
    this.lsap.disconnect(LM_REASON.USER_REQUEST);
  }

  private pump(): void {
    while (this.txQueue.length && this.sendCredit > 0 && this.open) {
      const { data, more } = this.txQueue.shift()!;
      const credit = Math.min(this.owed, MAX_CREDIT);
      this.owed -= credit;
      this.outstanding += credit;
      this.sendCredit--;
      this.stats.pdusSent++;
      this.lsap.send(Uint8Array.from([(more ? M_BIT : 0) | credit, ...data]));
    }
    // Return credit before the peer runs dry: at half of what we granted.
    if (this.owed > 0 && this.outstanding <= this.granted / 2 && this.open) {
      const credit = Math.min(this.owed, MAX_CREDIT);
      this.owed -= credit;
      this.outstanding += credit;
      this.stats.creditOnlySent++;
      this.lsap.send(Uint8Array.from([credit]));
    }
  }

  private receive(pdu: Uint8Array): void {
    if (pdu.length < 1) return;
    const more = (pdu[0]! & M_BIT) !== 0;
    this.sendCredit += pdu[0]! & MAX_CREDIT;
    const data = pdu.subarray(1);
    if (data.length > 0 || more) {
      this.stats.pdusReceived++;
      this.outstanding--;
      this.owed++;
      if (more && this.rxMaxSdu === 0) return this.protocolError();
      this.reassembly.push(Uint8Array.from(data));
      this.reassembled += data.length;
      if (this.rxMaxSdu > 0 && this.reassembled > this.rxMaxSdu) return this.protocolError();
      if (!more) {
        const sdu = Buffer.concat(this.reassembly);
        this.reassembly = [];
        this.reassembled = 0;
        this.stats.sdusDelivered++;
        this.onSdu(new Uint8Array(sdu.buffer, sdu.byteOffset, sdu.length));
      }
    }
    this.pump();
  }

  /** An oversized SDU or SAR without agreement: Tiny TP disconnects (Tiny TP §2.4). */
  private protocolError(): void {
    this.reassembly = [];
    this.reassembled = 0;
    this.lsap.disconnect(LM_REASON.USER_REQUEST);
    this.onDisconnect(LM_REASON.USER_REQUEST);
  }
}

/** Connect Tiny TP to a remote LSAP. */
export async function ttpConnect(
  mux: IrlmpMux,
  remoteSel: number,
  options: TinyTpOptions = {},
): Promise<TinyTpConnection> {
  const credit = options.initialCredit ?? DEFAULT_CREDIT;
  const maxSdu = options.rxMaxSduSize ?? DEFAULT_MAX_SDU;
  const lsap = await mux.connect(remoteSel, encodeTtpConnect({ initialCredit: credit, maxSduSize: maxSdu }));
  const peer = parseTtpConnect(mux.confirmData(lsap));
  if (!peer.ok) {
    lsap.disconnect(LM_REASON.USER_REQUEST);
    throw new Error(`TinyTP: ${peer.error}`);
  }
  return new TinyTpConnection(lsap, peer.params, credit, maxSdu);
}

/** A Tiny TP service on a local LSAP: each accepted connection is handed to `accept`. */
export class TinyTpListener implements LsapService {
  constructor(
    private readonly accept: (conn: TinyTpConnection) => void,
    private readonly options: TinyTpOptions = {},
  ) {}

  connectIndication(
    lsap: LsapConnection,
    userData: Uint8Array,
  ): { accept: true; userData: Uint8Array } | { accept: false; reason: number } {
    const peer = parseTtpConnect(userData);
    if (!peer.ok) return { accept: false, reason: LM_REASON.USER_REQUEST };
    const credit = this.options.initialCredit ?? DEFAULT_CREDIT;
    const maxSdu = this.options.rxMaxSduSize ?? DEFAULT_MAX_SDU;
    const conn = new TinyTpConnection(lsap, peer.params, credit, maxSdu);
    this.accept(conn);
    return { accept: true, userData: encodeTtpConnect({ initialCredit: credit, maxSduSize: maxSdu }) };
  }
}
