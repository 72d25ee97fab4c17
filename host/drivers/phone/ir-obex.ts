/**
 * A terminal-side IrDA driver: opens any serial path with `serialport` (a USB IrDA dongle's port, or an
 * emulated phone's PTY), discovers a device by name, connects IrLAP as primary, finds the OBEX service
 * through IAS, connects Tiny TP and exchanges OBEX objects.
 */
import { SerialPort } from 'serialport';
import { SystemClock, type Clock } from '../../../firmware-sim/clock.js';
import {
  IrdaEndpoint,
  type IrdaEndpointStats,
  type IrFrameDirection,
  type ObexSession,
} from '../../../devices/ir/endpoint.js';
import { defaultQos } from '../../../devices/ir/irlap/params.js';
import type { DiscoveredDevice, IrlapTiming } from '../../../devices/ir/irlap/station.js';
import type { ObexGetResult } from '../../../devices/ir/obex/client.js';
import type { ObexResponse } from '../../../devices/ir/obex/packet.js';
import type { NegotiatedQos } from '../../../devices/ir/irlap/params.js';

export interface IrObexDriverOptions {
  /** Serial path of the dongle or the twin (e.g. /dev/ttyUSB0, or an emulated phone's `ir` endpoint). */
  path: string;
  clock?: Clock;
  /** Our own discovery nickname. */
  nickname?: string;
  seed?: number;
  /** Highest speed offered (default 115200). */
  maxBaud?: number;
  /** IrLAP frames as the terminal sees them (e.g. IrdaCapture.sink('terminal')). */
  onFrame?: (direction: IrFrameDirection, frame: Uint8Array) => void;
  timing?: Partial<IrlapTiming>;
}

export class IrObexDriver {
  readonly endpoint: IrdaEndpoint;
  private session: ObexSession | undefined;
  private tx: Promise<void> = Promise.resolve();
  private baud = 9600;

  private constructor(
    private readonly port: SerialPort,
    options: IrObexDriverOptions,
  ) {
    this.endpoint = new IrdaEndpoint({
      clock: options.clock ?? new SystemClock(),
      nickname: options.nickname ?? 'benchtwin-terminal',
      seed: options.seed ?? (Date.now() ^ process.pid) >>> 0,
      qos: defaultQos(options.maxBaud ?? 115200),
      transmit: (bytes, baud) => this.transmit(bytes, baud),
      hints: [0x84, 0x20], // computer + OBEX
      ...(options.onFrame ? { onFrame: options.onFrame } : {}),
      ...(options.timing ? { timing: options.timing } : {}),
    });
    port.on('data', (chunk: Buffer) => this.endpoint.receive(chunk));
    // The dongle went away: no more frames can cross, so drop the link rather than wait for N2.
    port.on('close', () => this.endpoint.station.reset('link-timeout'));
  }

  /** Open the serial port at the IrDA contention speed (9600 8N1). */
  static async open(options: IrObexDriverOptions): Promise<IrObexDriver> {
    const port = new SerialPort({ path: options.path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    return new IrObexDriver(port, options);
  }

  get stats(): IrdaEndpointStats {
    return this.endpoint.stats;
  }

  get connected(): boolean {
    return this.endpoint.station.connected;
  }

  discover(
    options: { nickname?: string; attempts?: number; slots?: 1 | 6 | 8 | 16 } = {},
  ): Promise<DiscoveredDevice[]> {
    return this.endpoint.discover(options);
  }

  /** Discover (by nickname when given), connect IrLAP, look up OBEX in IAS, connect Tiny TP and OBEX. */
  async connect(
    options: { nickname?: string; device?: DiscoveredDevice; target?: Uint8Array; attempts?: number } = {},
  ): Promise<{ device: DiscoveredDevice; qos: NegotiatedQos }> {
    let device = options.device;
    if (!device) {
      const found = await this.discover({
        ...(options.nickname ? { nickname: options.nickname } : {}),
        attempts: options.attempts ?? 10,
      });
      device = found[0];
      if (!device)
        throw new Error(
          `IrDA: no device${options.nickname ? ` named ${options.nickname}` : ''} answered discovery`,
        );
    }
    const qos = await this.endpoint.connect(device);
    this.session = await this.endpoint.openObex(options.target ? { target: options.target } : {});
    return { device, qos };
  }

  put(name: string, body: Uint8Array, type?: string): Promise<ObexResponse> {
    return this.obex().put(name, body, type ? { type } : {});
  }

  get(what: { name?: string; type?: string }): Promise<ObexGetResult> {
    return this.obex().get(what);
  }

  setPath(name?: string, options: { backup?: boolean; dontCreate?: boolean } = {}): Promise<void> {
    return this.obex().setPath(name, options);
  }

  /** OBEX Disconnect, IrLAP DISC, then close the port. Safe to call twice. */
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    try {
      if (session && this.connected) await session.close();
      if (this.connected) await this.endpoint.disconnect();
      await this.tx;
    } finally {
      this.endpoint.station.reset();
      if (this.port.isOpen) await new Promise<void>((resolve) => this.port.close(() => resolve()));
    }
  }

  private obex(): ObexSession['client'] {
    if (!this.session) throw new Error('IrDA: not connected (call connect first)');
    return this.session.client;
  }

  /** In order; a speed change waits for the bytes before it to drain (IrLAP switches after UA). */
  private transmit(bytes: Uint8Array, baudRate: number): void {
    this.tx = this.tx
      .then(async () => {
        if (baudRate !== this.baud) {
          await new Promise<void>((resolve) => this.port.drain(() => resolve()));
          await new Promise<void>((resolve, reject) =>
            this.port.update({ baudRate }, (err) => (err ? reject(err) : resolve())),
          );
          this.baud = baudRate;
        }
        await new Promise<void>((resolve, reject) =>
          this.port.write(Buffer.from(bytes), (err) => (err ? reject(err) : resolve())),
        );
      })
      .catch(() => undefined);
  }
}
