/**
 * pcapng capture of IrLAP frames in the Linux IrDA link type (LINKTYPE_LINUX_IRDA, 144), which
 * Wireshark's `irda` dissector decodes down to IrLMP, IAS, Tiny TP and OBEX. Each packet is a 16-byte
 * pseudo-header — packet type (0 received, 4 sent by the capturing station), ARPHRD type, address
 * length and 8 address bytes (unused), protocol 0x0017 — then the frame from its address byte, without
 * the SIR wrapper and FCS. See docs/IRDA.md.
 *
 * Wireshark's IrDA dissector hands LSAP data on only for IrCOMM and IrLPT, so OBEX packets also go to a
 * second interface per station in the Upper PDU export link type (252) naming the `obex` dissector.
 */
import os from 'node:os';
import type { Clock } from '../../firmware-sim/clock.js';
import { LINKTYPE_IRDA, LINKTYPE_WIRESHARK_UPPER_PDU, PcapngWriter } from './pcapng.js';
import { VIRTUAL_EPOCH_MS } from './serial-capture.js';

export const IRDA_PKTTYPE_INCOMING = 0;
export const IRDA_PKTTYPE_OUTGOING = 4;
const ARPHRD_IRDA = 783;
const ETH_P_IRDA = 0x0017;

const EXP_PDU_TAG_PROTO_NAME = 12;

/** An Upper PDU export record (tags, end-of-options, payload) for the named dissector. */
export function exportedPdu(dissector: string, payload: Uint8Array): Uint8Array {
  const name = Buffer.from(dissector, 'ascii');
  const out = Buffer.alloc(4 + name.length + 4 + payload.length);
  out.writeUInt16BE(EXP_PDU_TAG_PROTO_NAME, 0);
  out.writeUInt16BE(name.length, 2);
  name.copy(out, 4);
  // End-of-options: tag 0, length 0 (already zero).
  out.set(payload, 8 + name.length);
  return out;
}

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

  /** A sink for one station's OBEX packets ('out' = sent by it), for IrdaEndpoint's onObexPacket. */
  obexSink(station: string): (direction: 'out' | 'in', packet: Uint8Array) => void {
    return (direction, packet) => {
      if (this.writer.closed) return;
      this.writer.writePacket({
        interfaceId: this.interfaceFor(`${station}-obex`, LINKTYPE_WIRESHARK_UPPER_PDU),
        timestamp: this.timestamp(),
        data: exportedPdu('obex', packet),
        direction: direction === 'out' ? 'outbound' : 'inbound',
      });
    };
  }

  record(station: string, outgoing: boolean, frame: Uint8Array): void {
    if (this.writer.closed) return;
    this.writer.writePacket({
      interfaceId: this.interfaceFor(station, LINKTYPE_IRDA),
      timestamp: this.timestamp(),
      data: linuxIrdaPacket(frame, outgoing),
      direction: outgoing ? 'outbound' : 'inbound',
    });
  }

  close(): void {
    this.writer.close();
  }

  private timestamp(): bigint {
    return BigInt(Math.round((this.epochOffsetMs + this.clock.now()) * 1000));
  }

  private interfaceFor(station: string, linkType: number): number {
    let id = this.interfaces.get(station);
    if (id === undefined) {
      id = this.writer.addInterface({
        linkType,
        name: `benchtwin-ir-${station}`,
        description:
          linkType === LINKTYPE_IRDA
            ? `benchtwin IrDA station ${station}: IrLAP frames as seen by it`
            : `benchtwin IrDA station ${station}: OBEX packets over Tiny TP`,
        tsresolDecimal: 6,
      });
      this.interfaces.set(station, id);
    }
    return id;
  }
}
