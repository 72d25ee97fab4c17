/**
 * pcapng capture of IrLAP frames in the Linux IrDA link type (LINKTYPE_LINUX_IRDA, 144), which
 * Wireshark's `irda` dissector decodes down to IrLMP, IAS, Tiny TP and OBEX. Each packet is a 16-byte
 * pseudo-header — packet type (0 received, 4 sent by the capturing station), ARPHRD type, address
 * length and 8 address bytes (unused), protocol 0x0017 — then the frame from its address byte, without
 * the SIR wrapper and FCS. See docs/IRDA.md.
 */
import os from 'node:os';
import type { Clock } from '../../firmware-sim/clock.js';
import { LINKTYPE_IRDA, PcapngWriter } from './pcapng.js';
import { VIRTUAL_EPOCH_MS } from './serial-capture.js';

export const IRDA_PKTTYPE_INCOMING = 0;
export const IRDA_PKTTYPE_OUTGOING = 4;
const ARPHRD_IRDA = 783;
const ETH_P_IRDA = 0x0017;

/** The Linux IrDA pseudo-header followed by the frame. */
export function linuxIrdaPacket(frame: Uint8Array, outgoing: boolean): Uint8Array {
  const out = Buffer.alloc(16 + frame.length);
  out.writeUInt16BE(outgoing ? IRDA_PKTTYPE_OUTGOING : IRDA_PKTTYPE_INCOMING, 0);
  out.writeUInt16BE(ARPHRD_IRDA, 2);
  out.writeUInt16BE(0, 4);
  out.writeUInt16BE(ETH_P_IRDA, 14);
  out.set(frame, 16);
  return out;
}

export interface IrdaCaptureOptions {
  file: string;
  clock: Clock;
  virtualEpochMs?: number;
}

/** Frames seen by one or more stations; each station gets its own interface. */
export class IrdaCapture {
  readonly file: string;
  private readonly writer: PcapngWriter;
  private readonly clock: Clock;
  private readonly epochOffsetMs: number;
  private readonly interfaces = new Map<string, number>();

  constructor(options: IrdaCaptureOptions) {
    this.file = options.file;
    this.clock = options.clock;
    this.epochOffsetMs = this.clock.virtual
      ? (options.virtualEpochMs ?? VIRTUAL_EPOCH_MS)
      : Date.now() - this.clock.now();
    this.writer = new PcapngWriter(this.file, { os: `${os.type()} ${os.release()}`, userAppl: 'benchtwin' });
  }

  /** A sink for one station's frames ('out' = sent by it), for IrdaEndpoint's onFrame. */
  sink(station: string): (direction: 'out' | 'in', frame: Uint8Array) => void {
    return (direction, frame) => this.record(station, direction === 'out', frame);
  }

  record(station: string, outgoing: boolean, frame: Uint8Array): void {
    if (this.writer.closed) return;
    this.writer.writePacket({
      interfaceId: this.interfaceFor(station),
      timestamp: BigInt(Math.round((this.epochOffsetMs + this.clock.now()) * 1000)),
      data: linuxIrdaPacket(frame, outgoing),
      direction: outgoing ? 'outbound' : 'inbound',
    });
  }

  close(): void {
    this.writer.close();
  }

  private interfaceFor(station: string): number {
    let id = this.interfaces.get(station);
    if (id === undefined) {
      id = this.writer.addInterface({
        linkType: LINKTYPE_IRDA,
        name: `benchtwin-ir-${station}`,
        description: `benchtwin IrDA station ${station}: IrLAP frames as seen by it`,
        tsresolDecimal: 6,
      });
      this.interfaces.set(station, id);
    }
    return id;
  }
}
