/**
 * An IR device twin: an IrDA device (secondary station, OBEX server) behind an emulated IrDA dongle.
 * The host sees a serial port (a PTY with a stable by-id path), as it would see a USB IrDA dongle, and
 * talks SIR frames through it: discovery by name, IAS, Tiny TP and OBEX.
 */
import type { Clock } from '../../firmware-sim/clock.js';
import type { FaultSettings } from '../serial/faults.js';
import type { LineSettings } from '../serial/line.js';
import { EmulatedSerialPort, type SerialCaptureSink } from '../serial/port.js';
import { IrdaEndpoint, type IrFrameDirection } from './endpoint.js';
import { IrFrameFaultInjector, type IrFrameFaults } from './frame-faults.js';
import { defaultQos } from './irlap/params.js';
import type { IrlapTiming } from './irlap/station.js';
import { ObexServer, type ObexObjectStore, type ObexServerOptions } from './obex/server.js';

export interface IrDeviceTwinOptions {
  /** Port name (by-id symlink `benchtwin-<name>`). */
  name: string;
  /** The name a discovering host sees. */
  nickname: string;
  clock: Clock;
  runtimeDir: string;
  /** Highest speed offered in negotiation (default 115200). */
  maxBaud?: number;
  faults?: FaultSettings;
  /** Whole frames corrupted or lost, both ways (on top of any byte-level `faults`). */
  frameFaults?: IrFrameFaults;
  seed?: number;
  /** Raw serial bytes, as on the host's port. */
  capture?: SerialCaptureSink;
  /** IrLAP frames as the device sees them (e.g. IrdaCapture.sink('phone')). */
  onFrame?: (direction: IrFrameDirection, frame: Uint8Array) => void;
  obex?: ObexServerOptions | ObexServer;
  timing?: Partial<IrlapTiming>;
}

/** What the twin reports to a bench (dashboard, transcripts). */
export type IrTwinEvent =
  | { type: 'ir-discovered'; by: string }
  | { type: 'ir-connected'; peer: number; baudRate: number; window: number; dataSize: number }
  | { type: 'ir-disconnected'; reason: string }
  | { type: 'obex-put'; name: string; objectType?: string; size: number; folder: string }
  | { type: 'obex-get'; name?: string; objectType?: string; folder: string };

const CONTENTION_LINE: LineSettings = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 };

export class IrDeviceTwin {
  readonly port: EmulatedSerialPort;
  readonly endpoint: IrdaEndpoint;
  readonly obex: ObexServer;
  readonly nickname: string;
  readonly frameFaults: IrFrameFaultInjector;
  private tx: Promise<void> = Promise.resolve();
  private pendingWrites = 0;
  private readonly listeners = new Set<(e: IrTwinEvent) => void>();

  constructor(options: IrDeviceTwinOptions) {
    this.nickname = options.nickname;
    this.frameFaults = new IrFrameFaultInjector(options.frameFaults ?? {}, options.seed ?? 1);
    this.port = new EmulatedSerialPort({
      name: options.name,
      runtimeDir: options.runtimeDir,
      clock: options.clock,
      line: CONTENTION_LINE,
      ...(options.capture ? { capture: options.capture } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    });
    this.obex =
      options.obex instanceof ObexServer ? options.obex : new ObexServer(this.observed(options.obex ?? {}));
    this.endpoint = new IrdaEndpoint({
      clock: options.clock,
      nickname: options.nickname,
      seed: options.seed ?? 1,
      qos: defaultQos(options.maxBaud ?? 115200),
      obexServer: this.obex,
      transmit: (bytes, baud) => this.transmit(bytes, baud),
      ...(options.onFrame ? { onFrame: options.onFrame } : {}),
      ...(options.timing ? { timing: options.timing } : {}),
    });
    this.endpoint.onDiscoveredBy = (d) => this.emit({ type: 'ir-discovered', by: d.info.nickname });
    this.endpoint.onConnect = (peer) => {
      const q = this.endpoint.station.qos;
      this.emit({
        type: 'ir-connected',
        peer,
        baudRate: q?.baudRate ?? 9600,
        window: q?.txWindow ?? 1,
        dataSize: q?.txDataSize ?? 64,
      });
    };
    this.endpoint.onDisconnect = (reason) => this.emit({ type: 'ir-disconnected', reason });
    // Pulled out of the beam (or the dongle unplugged): the link is gone at once, as on a real device.
    this.port.on('unplugged', () => this.endpoint.station.reset('link-timeout'));
    this.port.on('data', (bytes) => {
      this.endpoint.receive(this.frameFaults.inbound(bytes));
      this.followSpeed();
    });
  }

  /** The stable path a host opens. */
  get path(): string {
    return this.port.path;
  }

  get store(): ObexObjectStore {
    return this.obex.store;
  }

  /** Subscribe to link and OBEX events (OBEX events only when the twin made its own server). */
  onEvent(listener: (e: IrTwinEvent) => void): void {
    this.listeners.add(listener);
  }

  async open(): Promise<void> {
    await this.port.open();
  }

  close(): void {
    this.endpoint.station.reset();
    this.port.close();
  }

  private emit(e: IrTwinEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** The server options with the Put/Get hooks reporting events; the caller's hooks still decide. */
  private observed(o: ObexServerOptions): ObexServerOptions {
    return {
      ...o,
      onPut: (obj, folder) => {
        this.emit({
          type: 'obex-put',
          name: obj.name,
          size: obj.body.length,
          folder,
          ...(obj.type ? { objectType: obj.type } : {}),
        });
        return o.onPut?.(obj, folder);
      },
      onGet: (name, type, folder) => {
        this.emit({
          type: 'obex-get',
          folder,
          ...(name ? { name } : {}),
          ...(type ? { objectType: type } : {}),
        });
        return o.onGet?.(name, type, folder);
      },
    };
  }

  /** Frames go out in order; a speed change waits until the frames before it have left the line. */
  private transmit(frame: Uint8Array, baudRate: number): void {
    const bytes = this.frameFaults.outbound(frame);
    if (!bytes) return;
    this.pendingWrites++;
    this.tx = this.tx
      .then(async () => {
        if (this.port.line.baudRate !== baudRate) this.port.setLine({ ...this.port.line, baudRate });
        await this.port.write(bytes);
      })
      .catch(() => undefined)
      .finally(() => {
        this.pendingWrites--;
        this.followSpeed();
      });
  }

  /** After a UA (or a disconnect) the station's speed changes with nothing queued: follow it. */
  private followSpeed(): void {
    const want = this.endpoint.station.lineSetting.baudRate;
    if (this.pendingWrites === 0 && this.port.line.baudRate !== want && this.port.plugged) {
      this.port.setLine({ ...this.port.line, baudRate: want });
    }
  }
}
