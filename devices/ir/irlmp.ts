/**
 * IrLMP LM-MUX (IrLMP 1.1 §4): many LSAP connections over one IrLAP link. An LM-PDU starts with
 * C bit + DLSAP-SEL and r bit + SLSAP-SEL; control PDUs add an opcode (bit 7: confirm) and a parameter
 * (Connect: reserved, Disconnect: reason). LSAP 0 is the IAS server (ias.ts).
 */

export const LSAP_IAS = 0x00;
export const LSAP_CONNECTIONLESS = 0x70;
export const LMP_HEADER = 2;

export const LM_CONNECT = 0x01;
export const LM_DISCONNECT = 0x02;
export const LM_ACCESS_MODE = 0x03;
const CONFIRM = 0x80;

/** Disconnect reasons (IrLMP §4.3.3.2). */
export const LM_REASON = {
  USER_REQUEST: 0x01,
  UNEXPECTED_IRLAP_DISCONNECT: 0x02,
  IRLAP_CONNECT_FAILED: 0x03,
  IRLAP_RESET: 0x04,
  LM_INITIATED: 0x05,
  DATA_ON_DISCONNECTED_LSAP: 0x06,
  NON_RESPONSIVE_CLIENT: 0x07,
  NO_AVAILABLE_CLIENT: 0x08,
  HALF_OPEN: 0x09,
  ILLEGAL_SOURCE_ADDRESS: 0x0a,
  UNSPECIFIED: 0xff,
} as const;

export type LmPdu =
  | { kind: 'data'; dlsap: number; slsap: number; data: Uint8Array }
  | { kind: 'connect'; confirm: boolean; dlsap: number; slsap: number; userData: Uint8Array }
  | { kind: 'disconnect'; dlsap: number; slsap: number; reason: number; userData: Uint8Array }
  | { kind: 'access-mode'; confirm: boolean; dlsap: number; slsap: number; parameter: number; mode: number };

export type LmParseResult = { ok: true; pdu: LmPdu } | { ok: false; error: string };

export function parseLmPdu(b: Uint8Array): LmParseResult {
  if (b.length < 2) return { ok: false, error: `an LM-PDU has at least 2 bytes, got ${b.length}` };
  const dlsap = b[0]! & 0x7f;
  const slsap = b[1]! & 0x7f;
  if ((b[0]! & 0x80) === 0)
    return { ok: true, pdu: { kind: 'data', dlsap, slsap, data: Uint8Array.from(b.subarray(2)) } };
  if (b.length < 4) return { ok: false, error: 'LM control PDU without opcode and parameter' };
  const op = b[2]! & 0x7f;
  const confirm = (b[2]! & CONFIRM) !== 0;
  const rest = Uint8Array.from(b.subarray(4));
  switch (op) {
    case LM_CONNECT:
      return { ok: true, pdu: { kind: 'connect', confirm, dlsap, slsap, userData: rest } };
    case LM_DISCONNECT:
      if (confirm) return { ok: false, error: 'Disconnect has no confirm form' };
      return { ok: true, pdu: { kind: 'disconnect', dlsap, slsap, reason: b[3]!, userData: rest } };
    case LM_ACCESS_MODE:
      return {
        ok: true,
        pdu: { kind: 'access-mode', confirm, dlsap, slsap, parameter: b[3]!, mode: rest[0] ?? 0 },
      };
    default:
      return { ok: false, error: `unknown LM opcode 0x${op.toString(16)}` };
  }
}

export function encodeLmPdu(p: LmPdu): Uint8Array {
  const head = (control: boolean): number[] => [(control ? 0x80 : 0) | (p.dlsap & 0x7f), p.slsap & 0x7f];
  switch (p.kind) {
    case 'data':
      return Uint8Array.from([...head(false), ...p.data]);
    case 'connect':
      return Uint8Array.from([...head(true), LM_CONNECT | (p.confirm ? CONFIRM : 0), 0x00, ...p.userData]);
    case 'disconnect':
      return Uint8Array.from([...head(true), LM_DISCONNECT, p.reason & 0xff, ...p.userData]);
    case 'access-mode':
      return Uint8Array.from([
        ...head(true),
        LM_ACCESS_MODE | (p.confirm ? CONFIRM : 0),
        p.parameter & 0xff,
        p.mode & 0xff,
      ]);
  }
}

/** The IrLAP service LM-MUX runs on. */
export interface IrlapService {
  send(info: Uint8Array): boolean;
  readonly maxData: number;
  readonly connected: boolean;
}

export type ConnectDecision = { accept: true; userData?: Uint8Array } | { accept: false; reason?: number };

/** A service bound to a local LSAP (the IAS server, an OBEX server over TinyTP). */
export interface LsapService {
  connectIndication(conn: LsapConnection, userData: Uint8Array): ConnectDecision;
}

export class LsapConnection {
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  onData: (data: Uint8Array) => void = () => undefined;
  onDisconnect: (reason: number, userData: Uint8Array) => void = () => undefined;

  constructor(
    private readonly mux: IrlmpMux,
    readonly localSel: number,
    readonly remoteSel: number,
  ) {}

  /** The longest data `send` accepts. */
  get maxData(): number {
    return this.mux.maxData;
  }

  send(data: Uint8Array): boolean {
    if (this.state !== 'open') return false;
    return this.mux.transmit({ kind: 'data', dlsap: this.remoteSel, slsap: this.localSel, data });
  }

  disconnect(reason: number = LM_REASON.USER_REQUEST, userData: Uint8Array = new Uint8Array(0)): void {
    if (this.state === 'closed') return;
    this.mux.transmit({ kind: 'disconnect', dlsap: this.remoteSel, slsap: this.localSel, reason, userData });
    this.mux.drop(this, reason, userData, false);
  }
}

export interface IrlmpStats {
  malformed: number;
  dataOnDisconnectedLsap: number;
}

export class IrlmpMux {
  readonly stats: IrlmpStats = { malformed: 0, dataOnDisconnectedLsap: 0 };
  private readonly services = new Map<number, LsapService>();
  private readonly connections = new Map<string, LsapConnection>();
  private readonly pending = new Map<
    string,
    {
      resolve: (c: LsapConnection) => void;
      reject: (e: Error) => void;
      conn: LsapConnection;
      userData?: Uint8Array;
    }
  >();
  private nextSel = 0x10;

  constructor(private readonly link: IrlapService) {}

  get maxData(): number {
    return this.link.maxData - LMP_HEADER;
  }

  bind(sel: number, service: LsapService): void {
    this.services.set(sel, service);
  }

  /** A free local LSAP-SEL (0x01..0x6F). */
  allocateSel(): number {
    for (let i = 0; i < 0x6f; i++) {
      const sel = 0x01 + ((this.nextSel - 1 + i) % 0x6f);
      if (!this.services.has(sel) && ![...this.connections.values()].some((c) => c.localSel === sel)) {
        this.nextSel = sel + 1;
        return sel;
      }
    }
    throw new Error('IrLMP: no free LSAP');
  }

  /** LM-Connect.request; resolves with the open connection, or rejects with the peer's refusal. */
  connect(
    remoteSel: number,
    userData: Uint8Array = new Uint8Array(0),
    localSel = this.allocateSel(),
  ): Promise<LsapConnection> {
    const conn = new LsapConnection(this, localSel, remoteSel);
    const key = keyOf(localSel, remoteSel);
    return new Promise((resolve, reject) => {
      if (!this.link.connected) return reject(new Error('IrLMP: the IrLAP link is not connected'));
      this.connections.set(key, conn);
      this.pending.set(key, { resolve, reject, conn });
      this.transmit({ kind: 'connect', confirm: false, dlsap: remoteSel, slsap: localSel, userData });
    });
  }

  /** The user data of the connect confirm of a connection (TinyTP parameters). */
  confirmData(conn: LsapConnection): Uint8Array {
    return this.confirmUserData.get(conn) ?? new Uint8Array(0);
  }

  private readonly confirmUserData = new WeakMap<LsapConnection, Uint8Array>();

  /** An IrLAP I-frame payload. */
  receive(info: Uint8Array): void {
    const parsed = parseLmPdu(info);
    if (!parsed.ok) {
      this.stats.malformed++;
      return;
    }
    const p = parsed.pdu;
    // The peer's source is our remote, its destination our local LSAP.
    const key = keyOf(p.dlsap, p.slsap);
    const conn = this.connections.get(key);
    switch (p.kind) {
      case 'data':
        if (conn?.state === 'open') return conn.onData(p.data);
        this.stats.dataOnDisconnectedLsap++;
        return void this.transmit({
          kind: 'disconnect',
          dlsap: p.slsap,
          slsap: p.dlsap,
          reason: LM_REASON.DATA_ON_DISCONNECTED_LSAP,
          userData: new Uint8Array(0),
        });
      case 'connect':
        return p.confirm
          ? this.connectConfirm(key, p.userData)
          : this.connectIndication(p.dlsap, p.slsap, p.userData);
      case 'disconnect': {
        const pend = this.pending.get(key);
        if (conn) this.drop(conn, p.reason, p.userData, true);
        pend?.reject(new Error(`IrLMP: connection refused, reason 0x${p.reason.toString(16)}`));
        return;
      }
      case 'access-mode':
        // Exclusive mode is optional: refuse it (status 0xFF, unsupported) rather than ignore a request.
        if (!p.confirm) {
          this.transmit({
            kind: 'access-mode',
            confirm: true,
            dlsap: p.slsap,
            slsap: p.dlsap,
            parameter: 0xff,
            mode: p.mode,
          });
        }
        return;
    }
  }

  /** IrLAP went down: every LSAP connection ends (reason 2). */
  linkDown(): void {
    for (const conn of [...this.connections.values()]) {
      this.drop(conn, LM_REASON.UNEXPECTED_IRLAP_DISCONNECT, new Uint8Array(0), true);
    }
    for (const p of this.pending.values()) p.reject(new Error('IrLMP: the IrLAP link went down'));
    this.pending.clear();
  }

  /** @internal */
  transmit(p: LmPdu): boolean {
    return this.link.send(encodeLmPdu(p));
  }

  /** @internal */
  drop(conn: LsapConnection, reason: number, userData: Uint8Array, notify: boolean): void {
    const key = keyOf(conn.localSel, conn.remoteSel);
    if (this.connections.get(key) === conn) this.connections.delete(key);
    const pend = this.pending.get(key);
    if (pend?.conn === conn) {
      this.pending.delete(key);
      pend.reject(new Error(`IrLMP: connection ended, reason 0x${reason.toString(16)}`));
    }
    if (conn.state === 'closed') return;
    conn.state = 'closed';
    if (notify) conn.onDisconnect(reason, userData);
  }

  private connectConfirm(key: string, userData: Uint8Array): void {
    const pend = this.pending.get(key);
    if (!pend) {
      this.stats.malformed++;
      return;
    }
    this.pending.delete(key);
    pend.conn.state = 'open';
    this.confirmUserData.set(pend.conn, userData);
    pend.resolve(pend.conn);
  }

  private connectIndication(localSel: number, remoteSel: number, userData: Uint8Array): void {
    const service = this.services.get(localSel);
    const refuse = (reason: number): void =>
      void this.transmit({
        kind: 'disconnect',
        dlsap: remoteSel,
        slsap: localSel,
        reason,
        userData: new Uint8Array(0),
      });
    if (!service) return refuse(LM_REASON.NO_AVAILABLE_CLIENT);
    const key = keyOf(localSel, remoteSel);
    const old = this.connections.get(key);
    // A repeated connect on an open pair: the peer lost its side (half open); start over.
    if (old) this.drop(old, LM_REASON.HALF_OPEN, new Uint8Array(0), true);
    const conn = new LsapConnection(this, localSel, remoteSel);
    const decision = service.connectIndication(conn, userData);
    if (!decision.accept) return refuse(decision.reason ?? LM_REASON.USER_REQUEST);
    this.connections.set(key, conn);
    conn.state = 'open';
    this.transmit({
      kind: 'connect',
      confirm: true,
      dlsap: remoteSel,
      slsap: localSel,
      userData: decision.userData ?? new Uint8Array(0),
    });
  }
}

function keyOf(local: number, remote: number): string {
  return `${local}:${remote}`;
}
