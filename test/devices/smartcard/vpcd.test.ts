/**
 * VpcdBridge over real TCP against a small vpcd-side peer written here (what pcscd's vpcd driver does:
 * listen, send control codes and APDUs, read framed answers): control codes, APDUs, arbitrary TCP
 * segmentation, malformed input, a lost connection and a restarted listener, close().
 * The same bridge against the real pcscd is in vpcd.pcscd.test.ts.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VpcdBridge, portForReaderName, readerNameForPort } from '../../../devices/smartcard/vpcd.js';
import type { SmartCard } from '../../../firmware-sim/uim/card.js';
import { TestCard } from '../../host/drivers/uim/test-card.js';
import { until } from '../../pcscd.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

/** The reader side of vpcd: accepts the card's connection and talks to it as pcscd's driver does. */
class VpcdPeer {
  readonly server: net.Server;
  socket: net.Socket | undefined;
  connections = 0;
  private received = Buffer.alloc(0);

  private constructor(server: net.Server) {
    this.server = server;
    server.on('connection', (s) => {
      this.connections++;
      this.socket = s;
      this.received = Buffer.alloc(0);
      s.on('data', (c: Buffer) => (this.received = Buffer.concat([this.received, c])));
      s.on('error', () => undefined);
    });
  }

  static async listen(port = 0): Promise<VpcdPeer> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return new VpcdPeer(server);
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  write(raw: Uint8Array): void {
    this.socket?.write(raw);
  }

  send(payload: Uint8Array): void {
    this.write(Uint8Array.from([payload.length >> 8, payload.length & 0xff, ...payload]));
  }

  /** The next framed answer from the card. */
  async answer(guardMs = 5_000): Promise<Uint8Array> {
    await until(
      'a framed answer',
      () => this.received.length >= 2 && this.received.length >= 2 + this.received.readUInt16BE(0),
      guardMs,
    );
    const n = this.received.readUInt16BE(0);
    const out = Uint8Array.from(this.received.subarray(2, 2 + n));
    this.received = this.received.subarray(2 + n);
    return out;
  }

  get unanswered(): number {
    return this.received.length;
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let peer: VpcdPeer | undefined;
let bridge: VpcdBridge | undefined;

afterEach(async () => {
  await bridge?.close();
  await peer?.close();
  bridge = undefined;
  peer = undefined;
});

async function connected(
  card: SmartCard = new TestCard(),
  reconnectMs = 20,
): Promise<{ peer: VpcdPeer; bridge: VpcdBridge; card: SmartCard }> {
  peer = await VpcdPeer.listen();
  bridge = new VpcdBridge(card, { port: peer.port, reconnectMs, maxReconnectMs: 100 });
  await bridge.waitConnected();
  const p = peer;
  await until('the peer to see the card', () => p.socket !== undefined);
  return { peer: p, bridge, card };
}

describe('vpcd reader names', () => {
  it('names slots as pcscd does for the vpcd DEVICENAME /dev/null:0x8C7B', () => {
    expect(readerNameForPort(35963)).toBe('Virtual PCD 00 00');
    expect(readerNameForPort(35964)).toBe('Virtual PCD 00 01');
    expect(readerNameForPort(35963 + 10)).toBe('Virtual PCD 00 0A');
    expect(readerNameForPort(35964, { readerIndex: 1 })).toBe('Virtual PCD 01 01');
    expect(() => readerNameForPort(35962)).toThrow(RangeError);
    expect(portForReaderName('Virtual PCD 00 01')).toBe(35964);
    expect(portForReaderName('Gemalto USB Shell Token V2 00 00')).toBeUndefined();
  });
});

describe('VpcdBridge with a vpcd peer', () => {
  it('answers GET ATR with the ATR, and only GET ATR among the control codes', async () => {
    const card = new TestCard();
    const { peer: p } = await connected(card);
    const controls: number[] = [];
    bridge!.on('control', (c) => controls.push(c));
    p.send(Uint8Array.of(1)); // power on
    p.send(Uint8Array.of(2)); // reset
    p.send(Uint8Array.of(0)); // power off
    p.send(Uint8Array.of(9)); // unknown: ignored
    p.send(Uint8Array.of(4)); // get ATR
    expect(hex(await p.answer())).toBe(hex(card.atr));
    expect(controls).toEqual([1, 2, 0, 9, 4]);
    expect(p.unanswered).toBe(0);
    expect(card.powered).toBe(false);
    p.send(Uint8Array.of(1));
    await until('power on', () => card.powered);
  });

  it('answers command APDUs with the card response APDUs', async () => {
    const { peer: p } = await connected();
    const exchanges: string[] = [];
    bridge!.on('exchange', (c, r) => exchanges.push(`${hex(c)}:${hex(r)}`));
    p.send(Uint8Array.of(1));
    p.send(bytes('00A40004023F00'));
    const select = await p.answer();
    expect(hex(select)).toMatch(/^61[0-9A-F]{2}$/);
    p.send(Uint8Array.of(0x00, 0xc0, 0x00, 0x00, select[1]!));
    const fcp = await p.answer();
    expect(fcp[0]).toBe(0x62);
    expect(hex(fcp.subarray(-2))).toBe('9000');
    expect(exchanges).toHaveLength(2);
  });

  it('copes with messages split byte by byte and merged in one segment', async () => {
    const card = new TestCard();
    const { peer: p } = await connected(card);
    const stream = bytes('0001 01  0001 04  0007 00A40004023F00  0001 04');
    for (const b of stream) {
      p.write(Uint8Array.of(b));
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(hex(await p.answer())).toBe(hex(card.atr));
    expect(hex(await p.answer())).toMatch(/^61/);
    expect(hex(await p.answer())).toBe(hex(card.atr));
    p.write(Buffer.concat([Buffer.from(bytes('0001 04 0001 04 0001 04'))]));
    for (let i = 0; i < 3; i++) expect(hex(await p.answer())).toBe(hex(card.atr));
  });

  it('answers 6F00 for a card that throws or answers less than a status word', async () => {
    let mode: 'throw' | 'short' = 'throw';
    const card: SmartCard = {
      atr: bytes('3B00'),
      powered: true,
      powerOn: () => bytes('3B00'),
      powerOff: () => undefined,
      reset: () => bytes('3B00'),
      transmit: () => {
        if (mode === 'throw') throw new Error('card bug');
        return Uint8Array.of(0x90);
      },
    };
    const { peer: p } = await connected(card);
    p.send(bytes('00B0000001'));
    expect(hex(await p.answer())).toBe('6F00');
    mode = 'short';
    p.send(bytes('00B0000001'));
    expect(hex(await p.answer())).toBe('6F00');
  });

  it('drops the connection on a framing error and dials again', async () => {
    const { peer: p, bridge: b } = await connected();
    const errors: string[] = [];
    const events: string[] = [];
    b.on('framingError', (e) => errors.push(e));
    b.on('disconnected', () => events.push('disconnected'));
    b.on('connected', () => events.push('connected'));
    p.write(bytes('0000'));
    await until('a reconnect', () => p.connections === 2 && b.connected);
    expect(errors).toHaveLength(1);
    expect(events).toEqual(['disconnected', 'connected']);
    p.send(Uint8Array.of(4));
    expect((await p.answer()).length).toBeGreaterThan(1);
  });

  it('survives arbitrary bytes from the reader without throwing', async () => {
    const { peer: p, bridge: b } = await connected();
    let x = 7;
    for (let i = 0; i < 200; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      const chunk = Uint8Array.from({ length: 1 + (x % 50) }, (_, k) => (x >> (k % 24)) & 0xff);
      p.write(chunk);
    }
    // Whatever happened, the bridge is still there (connected or dialling) and answers after a reconnect.
    await until(
      'the bridge to be connected',
      () => b.connected && p.socket !== undefined && !p.socket.destroyed,
    );
    expect(b.closed).toBe(false);
  });

  it('reconnects with backoff when the reader side goes away and comes back (pcscd restart)', async () => {
    const card = new TestCard();
    const { peer: first, bridge: b } = await connected(card);
    const port = first.port;
    const events: string[] = [];
    b.on('disconnected', (why) => events.push(`disconnected: ${why}`));
    b.on('connected', () => events.push('connected'));
    first.send(Uint8Array.of(1));
    await until('power on', () => card.powered);
    await first.close();
    peer = undefined;
    await until('disconnected', () => !b.connected);
    expect(card.powered).toBe(false);
    // Nobody listens for a while: connection refused, the bridge keeps dialling.
    await new Promise((r) => setTimeout(r, 150));
    expect(b.lastError).toMatch(/ECONNREFUSED/);
    peer = await VpcdPeer.listen(port);
    const second = peer;
    await until('reconnected', () => b.connected && second.socket !== undefined);
    expect(events[0]).toMatch(/^disconnected/);
    expect(events.at(-1)).toBe('connected');
    expect(b.connectionCount).toBe(2);
    second.send(Uint8Array.of(4));
    expect(hex(await second.answer())).toBe(hex(card.atr));
  });

  it('close() ends the connection, stops dialling and rejects waiters', async () => {
    const { peer: p, bridge: b } = await connected();
    const waiting = new VpcdBridge(new TestCard(), { port: 1, reconnectMs: 10 });
    const rejected = waiting.waitConnected(5_000).catch((e: unknown) => e);
    await waiting.close();
    expect(String(await rejected)).toMatch(/closed/);
    await b.close();
    await until(
      'the peer to see the close',
      () => p.socket?.destroyed === true || p.socket?.readyState === 'closed',
    );
    expect(b.closed).toBe(true);
    await b.close();
  });

  it('waitConnected() names the last error when nobody listens', async () => {
    bridge = new VpcdBridge(new TestCard(), { port: 1, reconnectMs: 10, maxReconnectMs: 20 });
    await expect(bridge.waitConnected(200)).rejects.toThrow(/not connected after 200 ms.*ECONNREFUSED/);
  });
});
