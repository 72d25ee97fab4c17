/**
 * pcapng capture of emulated serial ports, as a capture taken on the host's serial port would look:
 * one interface per port, link type USER0 (there is no standard link type for raw serial bytes), and
 * the direction in epb_flags from the HOST's point of view — host → device is outbound,
 * device → host inbound. See docs/CAPTURES.md.
 */
import os from 'node:os';
import type { Clock } from '../../firmware-sim/clock.js';
import type { SerialCaptureRecord, SerialCaptureSink } from '../serial/port.js';
import { LINKTYPE_USER0, PcapngWriter } from './pcapng.js';
import type { PacketDirection } from './pcapng.js';

/** Virtual time 0 is written as 2000-01-01T00:00:00Z, so virtual-clock captures are reproducible. */
export const VIRTUAL_EPOCH_MS = Date.UTC(2000, 0, 1);

export interface SerialCaptureOptions {
  file: string;
  clock: Clock;
  /** Epoch (ms since 1970) of clock time 0 for a virtual clock. Default VIRTUAL_EPOCH_MS. */
  virtualEpochMs?: number;
}

export class SerialCapture implements SerialCaptureSink {
  readonly file: string;
  private readonly writer: PcapngWriter;
  private readonly clock: Clock;
  private readonly epochOffsetMs: number;
  private readonly interfaces = new Map<string, number>();

  constructor(options: SerialCaptureOptions) {
    this.file = options.file;
    this.clock = options.clock;
    // A wall clock's now() has its own origin (performance.now() for SystemClock): map it to the epoch.
    this.epochOffsetMs = this.clock.virtual
      ? (options.virtualEpochMs ?? VIRTUAL_EPOCH_MS)
      : Date.now() - this.clock.now();
    this.writer = new PcapngWriter(this.file, {
      os: `${os.type()} ${os.release()}`,
      userAppl: 'benchtwin',
    });
  }

  record(record: SerialCaptureRecord): void {
    if (this.writer.closed) return;
    const direction: PacketDirection = record.direction === 'fromHost' ? 'outbound' : 'inbound';
    this.writer.writePacket({
      interfaceId: this.interfaceFor(record.port),
      timestamp: BigInt(Math.round((this.epochOffsetMs + record.timeMs) * 1000)),
      data: record.bytes,
      direction,
      ...(record.comment ? { comment: record.comment } : {}),
    });
  }

  /** Idempotent; records after close are ignored (a port may outlive its capture). */
  close(): void {
    this.writer.close();
  }

  private interfaceFor(port: string): number {
    let id = this.interfaces.get(port);
    if (id === undefined) {
      id = this.writer.addInterface({
        linkType: LINKTYPE_USER0,
        name: `benchtwin-${port}`,
        description: `benchtwin emulated serial port ${port}: raw bytes, direction as seen by the host`,
        tsresolDecimal: 6,
      });
      this.interfaces.set(port, id);
    }
    return id;
  }
}
