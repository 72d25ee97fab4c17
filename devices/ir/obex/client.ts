/**
 * An OBEX client: one request at a time, Put and Get spanning as many packets as the server's maximum
 * packet length needs, SetPath, Abort, Disconnect. Failures reject with ObexError carrying the code.
 */
import {
  FINAL,
  HI,
  OBEX_MAX_PACKET,
  OBEX_MIN_PACKET,
  OBEX_VERSION,
  OP,
  ObexPacketReader,
  RSP,
  encodeObexRequest,
  header,
  headerSize,
  parseObexResponse,
  typeHeader,
  typeOf,
  type ObexHeader,
  type ObexRequest,
  type ObexResponse,
  type ObexTransport,
} from './packet.js';

export class ObexError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ObexError';
  }
}

export interface ObexGetResult {
  name?: string;
  type?: string;
  body: Uint8Array;
  headers: ObexHeader[];
}

export class ObexClient {
  private readonly reader = new ObexPacketReader();
  private waiting:
    { resolve: (r: ObexResponse) => void; reject: (e: Error) => void; connect: boolean } | undefined;
  private peerMax = OBEX_MIN_PACKET;
  private connectionId: number | undefined;
  private readonly ownMax: number;

  constructor(
    private readonly transport: ObexTransport,
    options: { maxPacketLength?: number } = {},
  ) {
    this.ownMax = Math.min(Math.max(options.maxPacketLength ?? 0x4000, OBEX_MIN_PACKET), OBEX_MAX_PACKET);
    transport.setReceiver((bytes) => this.receive(bytes));
  }

  /** The server's maximum packet length once connected. */
  get maxPacketLength(): number {
    return this.peerMax;
  }

  /** The transport went away: fail the request in flight. */
  fail(error: Error): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(error);
  }

  async connect(options: { target?: Uint8Array } = {}): Promise<ObexResponse> {
    const rsp = await this.request(
      {
        opcode: OP.CONNECT,
        final: true,
        connect: { version: OBEX_VERSION, flags: 0, maxPacketLength: this.ownMax },
        headers: options.target ? [{ id: HI.TARGET, value: options.target }] : [],
      },
      true,
    );
    expectSuccess(rsp, 'Connect');
    this.peerMax = Math.min(
      Math.max(rsp.connect?.maxPacketLength ?? OBEX_MIN_PACKET, OBEX_MIN_PACKET),
      this.ownMax,
    );
    const cid = header(rsp.headers, HI.CONNECTION_ID);
    this.connectionId = typeof cid === 'number' ? cid : undefined;
    return rsp;
  }

  async disconnect(): Promise<void> {
    const rsp = await this.request({ opcode: OP.DISCONNECT, final: true, headers: this.cidHeaders() });
    this.connectionId = undefined;
    expectSuccess(rsp, 'Disconnect');
  }

  async put(name: string, body: Uint8Array, options: { type?: string } = {}): Promise<ObexResponse> {
    let first: ObexHeader[] = [
      ...this.cidHeaders(),
      { id: HI.NAME, value: name },
      ...(options.type ? [typeHeader(options.type)] : []),
      { id: HI.LENGTH, value: body.length },
    ];
    let offset = 0;
    for (;;) {
      const used = 3 + first.reduce((n, h) => n + headerSize(h), 0) + 3;
      const room = this.peerMax - used;
      if (room <= 0) throw new ObexError(RSP.BAD_REQUEST, 'OBEX: headers do not fit the packet');
      const chunk = body.subarray(offset, offset + room);
      offset += chunk.length;
      const last = offset >= body.length;
      const rsp = await this.request({
        opcode: OP.PUT,
        final: last,
        headers: [...first, { id: last ? HI.END_OF_BODY : HI.BODY, value: chunk }],
      });
      first = []; // Connection-Id, Name, Type and Length go in the first packet only
      if (last) {
        expectSuccess(rsp, `Put ${name}`);
        return rsp;
      }
      if (rsp.code !== RSP.CONTINUE) throw codeError(rsp, `Put ${name}`);
    }
  }

  /** Delete by a Put without a body. */
  async delete(name: string): Promise<void> {
    const rsp = await this.request({
      opcode: OP.PUT,
      final: true,
      headers: [...this.cidHeaders(), { id: HI.NAME, value: name }],
    });
    expectSuccess(rsp, `Delete ${name}`);
  }

  async get(options: { name?: string; type?: string }): Promise<ObexGetResult> {
    let headers: ObexHeader[] = [
      ...this.cidHeaders(),
      ...(options.name !== undefined ? [{ id: HI.NAME, value: options.name }] : []),
      ...(options.type ? [typeHeader(options.type)] : []),
    ];
    const body: Uint8Array[] = [];
    const seen: ObexHeader[] = [];
    for (;;) {
      const rsp = await this.request({ opcode: OP.GET, final: true, headers });
      headers = [];
      for (const h of rsp.headers) {
        if (h.id === HI.BODY || h.id === HI.END_OF_BODY) body.push(h.value as Uint8Array);
        else seen.push(h);
      }
      if (rsp.code === RSP.SUCCESS) break;
      if (rsp.code !== RSP.CONTINUE) throw codeError(rsp, `Get ${options.name ?? options.type ?? ''}`);
    }
    const name = header(seen, HI.NAME);
    const type = typeOf(seen);
    return {
      body: new Uint8Array(Buffer.concat(body)),
      headers: seen,
      ...(typeof name === 'string' ? { name } : {}),
      ...(type ? { type } : {}),
    };
  }

  async setPath(name?: string, options: { backup?: boolean; dontCreate?: boolean } = {}): Promise<void> {
    const rsp = await this.request({
      opcode: OP.SETPATH,
      final: true,
      setPath: { flags: (options.backup ? 1 : 0) | (options.dontCreate ? 2 : 0), constants: 0 },
      headers: [...this.cidHeaders(), ...(name !== undefined ? [{ id: HI.NAME, value: name }] : [])],
    });
    expectSuccess(rsp, `SetPath ${name ?? ''}`);
  }

  async abort(): Promise<ObexResponse> {
    return this.request({ opcode: OP.ABORT, final: true, headers: this.cidHeaders() });
  }

  /** Send one request packet and wait for its response. */
  request(req: ObexRequest, connect = false): Promise<ObexResponse> {
    if (this.waiting) return Promise.reject(new Error('OBEX: a request is already in flight'));
    const bytes = encodeObexRequest(req);
    if (bytes.length > Math.max(this.peerMax, req.opcode === OP.CONNECT ? OBEX_MIN_PACKET : 0)) {
      return Promise.reject(
        new ObexError(RSP.REQUEST_ENTITY_TOO_LARGE, 'OBEX: request larger than the packet limit'),
      );
    }
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject, connect };
      this.transport.send(bytes);
    });
  }

  private cidHeaders(): ObexHeader[] {
    return this.connectionId === undefined ? [] : [{ id: HI.CONNECTION_ID, value: this.connectionId }];
  }

  private receive(bytes: Uint8Array): void {
    for (const packet of this.reader.push(bytes)) {
      const w = this.waiting;
      this.waiting = undefined;
      if (!w) continue; // unsolicited: nothing to answer
      const parsed = parseObexResponse(packet, w.connect);
      if (parsed.ok) w.resolve(parsed.packet);
      else w.reject(new ObexError(parsed.code, `OBEX: bad response: ${parsed.error}`));
    }
    if (this.reader.broken) this.fail(new Error('OBEX: unreadable response stream'));
  }
}

function codeError(rsp: ObexResponse, what: string): ObexError {
  return new ObexError(rsp.code, `OBEX ${what}: response 0x${rsp.code.toString(16)}`);
}

function expectSuccess(rsp: ObexResponse, what: string): void {
  if ((rsp.code | FINAL) !== RSP.SUCCESS) throw codeError(rsp, what);
}
