/**
 * An OBEX server (IrOBEX 1.2 §3.3): Connect (with Target → Who and Connection-Id), Put and Get spanning
 * many packets, SetPath, Abort, Disconnect, over an object store with folders. Every bad request gets an
 * OBEX response code; the server never throws on arbitrary input.
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
  encodeObexResponse,
  header,
  headerSize,
  parseObexRequest,
  typeHeader,
  typeOf,
  type ObexHeader,
  type ObexRequest,
  type ObexResponse,
  type ObexTransport,
} from './packet.js';

export interface ObexObject {
  name: string;
  type?: string;
  body: Uint8Array;
}

/** Objects by folder path ('' is the root, 'a/b' a subfolder). */
export class ObexObjectStore {
  private readonly folders = new Map<string, Map<string, ObexObject>>([['', new Map()]]);

  hasFolder(path: string): boolean {
    return this.folders.has(path);
  }

  makeFolder(path: string): void {
    if (!this.folders.has(path)) this.folders.set(path, new Map());
  }

  put(folder: string, obj: ObexObject): void {
    this.makeFolder(folder);
    this.folders.get(folder)!.set(obj.name, { ...obj, body: Uint8Array.from(obj.body) });
  }

  /** By name, or (no name) the first object of the type: a Get of a default object by type. */
  get(folder: string, name: string | undefined, type?: string): ObexObject | undefined {
    const f = this.folders.get(folder);
    if (!f) return undefined;
    if (name) return f.get(name);
    return type ? [...f.values()].find((o) => o.type === type) : undefined;
  }

  delete(folder: string, name: string): boolean {
    return this.folders.get(folder)?.delete(name) ?? false;
  }

  list(folder = ''): ObexObject[] {
    return [...(this.folders.get(folder)?.values() ?? [])];
  }
}

export interface ObexServerOptions {
  store?: ObexObjectStore;
  /** Our maximum packet length (announced in the Connect response). */
  maxPacketLength?: number;
  /** Targets (e.g. a service UUID) this server serves; a Connect with another Target is refused. */
  targets?: Uint8Array[];
  /** Largest object accepted by Put. */
  maxObjectSize?: number;
  /**
   * Called for every completed Put; return a response code to refuse. May answer later (a promise): the
   * session holds its response, and later requests, until it settles (a user confirming on the keypad).
   */
  onPut?: (obj: ObexObject, folder: string) => number | void | Promise<number | void>;
  /** Serve a Get before the store is consulted (a generated object, e.g. a signed history); may be async. */
  onGet?: (
    name: string | undefined,
    type: string | undefined,
    folder: string,
  ) => ObexObject | undefined | Promise<ObexObject | undefined>;
}

export interface ObexServerStats {
  requests: number;
  errors: number;
  objectsPut: number;
  objectsGot: number;
}

type Operation =
  | { kind: 'put'; headers: ObexHeader[]; body: Uint8Array[]; size: number; sawBody: boolean }
  | { kind: 'get-request'; headers: ObexHeader[] }
  | { kind: 'get'; body: Uint8Array; offset: number; sentHeaders: boolean; obj: ObexObject };

let nextConnectionId = 1;
/** Marks the point where the request stream became unreadable. */
const BROKEN = new Uint8Array(0);

/** One server session on one transport connection. */
export class ObexServerSession {
  readonly stats: ObexServerStats = { requests: 0, errors: 0, objectsPut: 0, objectsGot: 0 };
  private readonly reader = new ObexPacketReader();
  private peerMax = OBEX_MIN_PACKET;
  private connectionId: number | undefined;
  private path: string[] = [];
  private op: Operation | undefined;
  private readonly ownMax: number;

  constructor(
    private readonly server: ObexServer,
    private readonly transport: ObexTransport,
  ) {
    this.ownMax = Math.min(
      Math.max(server.options.maxPacketLength ?? 0x4000, OBEX_MIN_PACKET),
      OBEX_MAX_PACKET,
    );
    transport.setReceiver((bytes) => this.receive(bytes));
  }

  get folder(): string {
    return this.path.join('/');
  }

  receive(bytes: Uint8Array): void {
    this.pending.push(...this.reader.push(bytes));
    if (this.reader.broken) this.pending.push(BROKEN);
    this.drain();
  }

  private readonly pending: Uint8Array[] = [];
  private busy = false;

  /** One request at a time: an asynchronous hook holds the requests behind it. */
  private drain(): void {
    while (!this.busy && this.pending.length) {
      const packet = this.pending.shift()!;
      if (packet === BROKEN) {
        this.reply(RSP.BAD_REQUEST);
        continue;
      }
      let later: Promise<void> | void;
      try {
        later = this.handle(packet);
      } catch {
        later = undefined;
        this.hookFailed();
      }
      if (later) {
        this.busy = true;
        later
          .catch(() => this.hookFailed())
          .finally(() => {
            this.busy = false;
            this.drain();
          });
      }
    }
  }

  /** A hook threw: the operation ends with Internal Server Error (0xD0). */
  private hookFailed(): void {
    this.op = undefined;
    this.reply(RSP.INTERNAL_SERVER_ERROR);
  }

  private reply(code: number, headers: ObexHeader[] = [], connect?: ObexResponse['connect']): void {
    if (code >= RSP.BAD_REQUEST) this.stats.errors++;
    this.transport.send(encodeObexResponse({ code: code | FINAL, headers, ...(connect ? { connect } : {}) }));
  }

  private handle(packet: Uint8Array): Promise<void> | void {
    this.stats.requests++;
    const parsed = parseObexRequest(packet);
    if (!parsed.ok) {
      this.op = undefined;
      return this.reply(parsed.code);
    }
    const req = parsed.packet;
    if (packet.length > this.ownMax) return this.reply(RSP.REQUEST_ENTITY_TOO_LARGE);
    const cid = header(req.headers, HI.CONNECTION_ID);
    if (cid !== undefined && this.connectionId !== undefined && cid !== this.connectionId) {
      return this.reply(RSP.SERVICE_UNAVAILABLE);
    }
    switch (req.opcode) {
      case OP.CONNECT:
        return this.connect(req);
      case OP.DISCONNECT:
        this.op = undefined;
        this.connectionId = undefined;
        this.path = [];
        return this.reply(RSP.SUCCESS);
      case OP.ABORT:
        this.op = undefined;
        return this.reply(RSP.SUCCESS);
      case OP.SETPATH:
        return this.setPath(req);
      case OP.PUT:
        return this.put(req);
      case OP.GET:
        return this.get(req);
    }
  }

  private connect(req: ObexRequest): void {
    const c = req.connect!;
    if (c.version >> 4 !== OBEX_VERSION >> 4) return this.reply(RSP.BAD_REQUEST);
    this.peerMax = Math.min(Math.max(c.maxPacketLength, OBEX_MIN_PACKET), OBEX_MAX_PACKET);
    this.op = undefined;
    this.path = [];
    const target = header(req.headers, HI.TARGET);
    const fields = { version: OBEX_VERSION, flags: 0, maxPacketLength: this.ownMax };
    if (target instanceof Uint8Array) {
      const ok = (this.server.options.targets ?? []).some((t) => Buffer.from(t).equals(Buffer.from(target)));
      if (!ok) return this.reply(RSP.SERVICE_UNAVAILABLE, [], fields);
      this.connectionId = nextConnectionId++ >>> 0;
      return this.reply(
        RSP.SUCCESS,
        [
          { id: HI.CONNECTION_ID, value: this.connectionId },
          { id: HI.WHO, value: target },
        ],
        fields,
      );
    }
    this.connectionId = undefined;
    this.reply(RSP.SUCCESS, [], fields);
  }

  private setPath(req: ObexRequest): void {
    this.op = undefined;
    const { flags } = req.setPath!;
    const name = header(req.headers, HI.NAME);
    const path = [...this.path];
    if (flags & 1) {
      if (path.length === 0) return this.reply(RSP.NOT_FOUND);
      path.pop();
    }
    if (typeof name === 'string' && name.length > 0) {
      if (name.includes('/') || name === '..' || name === '.') return this.reply(RSP.BAD_REQUEST);
      path.push(name);
    } else if (name !== undefined && !(flags & 1)) {
      path.length = 0; // an empty Name goes to the root
    }
    const folder = path.join('/');
    const store = this.server.store;
    if (!store.hasFolder(folder)) {
      if (flags & 2) return this.reply(RSP.NOT_FOUND);
      store.makeFolder(folder);
    }
    this.path = path;
    this.reply(RSP.SUCCESS);
  }

  private put(req: ObexRequest): Promise<void> | void {
    if (!this.op || this.op.kind !== 'put')
      this.op = { kind: 'put', headers: [], body: [], size: 0, sawBody: false };
    const op = this.op;
    const limit = this.server.options.maxObjectSize ?? 16 * 1024 * 1024;
    for (const h of req.headers) {
      if (h.id === HI.BODY || h.id === HI.END_OF_BODY) {
        const v = h.value as Uint8Array;
        op.body.push(v);
        op.size += v.length;
        op.sawBody = true;
      } else op.headers.push(h);
    }
    const declared = header(op.headers, HI.LENGTH);
    if (op.size > limit || (typeof declared === 'number' && declared > limit)) {
      this.op = undefined;
      return this.reply(RSP.REQUEST_ENTITY_TOO_LARGE);
    }
    if (!req.final) return this.reply(RSP.CONTINUE);
    this.op = undefined;
    const name = header(op.headers, HI.NAME);
    if (typeof name !== 'string' || name.length === 0 || name.includes('/'))
      return this.reply(RSP.BAD_REQUEST);
    const store = this.server.store;
    if (!op.sawBody) {
      // A Put without a body deletes the object (IrOBEX §3.3.3.6).
      return this.reply(store.delete(this.folder, name) ? RSP.SUCCESS : RSP.NOT_FOUND);
    }
    const body = Buffer.concat(op.body);
    if (typeof declared === 'number' && declared !== body.length) return this.reply(RSP.BAD_REQUEST);
    const type = typeOf(op.headers);
    const obj: ObexObject = { name, body: new Uint8Array(body), ...(type ? { type } : {}) };
    const folder = this.folder;
    const finish = (verdict: number | void): void => {
      if (typeof verdict === 'number' && verdict !== RSP.SUCCESS) return this.reply(verdict);
      store.put(folder, obj);
      this.stats.objectsPut++;
      this.reply(RSP.SUCCESS);
    };
    const verdict = this.server.options.onPut?.(obj, folder);
    if (verdict instanceof Promise) return verdict.then(finish);
    finish(verdict);
  }

  private get(req: ObexRequest): Promise<void> | void {
    if (this.op?.kind === 'put') this.op = undefined;
    if (!this.op) this.op = { kind: 'get-request', headers: [] };
    const op = this.op;
    if (op.kind === 'get-request') {
      op.headers.push(...req.headers);
      if (!req.final) return this.reply(RSP.CONTINUE);
      const name = header(op.headers, HI.NAME);
      const type = typeOf(op.headers);
      const n = typeof name === 'string' && name.length ? name : undefined;
      const folder = this.folder;
      const start = (found: ObexObject | undefined): void => {
        const obj = found ?? this.server.store.get(folder, n, type);
        if (!obj) {
          this.op = undefined;
          return this.reply(n || type ? RSP.NOT_FOUND : RSP.BAD_REQUEST);
        }
        this.op = { kind: 'get', body: obj.body, offset: 0, sentHeaders: false, obj };
        this.sendGetChunk(this.op);
      };
      const found = this.server.options.onGet?.(n, type, folder);
      if (found instanceof Promise) return found.then(start);
      return start(found);
    }
    this.sendGetChunk(op);
  }

  private sendGetChunk(op: Extract<Operation, { kind: 'get' }>): void {
    const headers: ObexHeader[] = [];
    if (!op.sentHeaders) {
      headers.push({ id: HI.NAME, value: op.obj.name });
      if (op.obj.type) headers.push(typeHeader(op.obj.type));
      headers.push({ id: HI.LENGTH, value: op.body.length });
      op.sentHeaders = true;
    }
    const used = 3 + headers.reduce((n, h) => n + headerSize(h), 0) + 3;
    const room = Math.max(0, this.peerMax - used);
    const chunk = op.body.subarray(op.offset, op.offset + room);
    op.offset += chunk.length;
    if (op.offset >= op.body.length) {
      this.op = undefined;
      this.stats.objectsGot++;
      this.reply(RSP.SUCCESS, [...headers, { id: HI.END_OF_BODY, value: chunk }]);
    } else {
      this.reply(RSP.CONTINUE, [...headers, { id: HI.BODY, value: chunk }]);
    }
  }
}

export class ObexServer {
  readonly store: ObexObjectStore;
  readonly sessions: ObexServerSession[] = [];

  constructor(readonly options: ObexServerOptions = {}) {
    this.store = options.store ?? new ObexObjectStore();
  }

  /** Serve one transport connection. */
  attach(transport: ObexTransport): ObexServerSession {
    const s = new ObexServerSession(this, transport);
    this.sessions.push(s);
    return s;
  }
}
