/**
 * pcapng capture of virtual controllers as a capture on the host's HCI interface looks (what btmon or
 * Wireshark on hci0 would record): link type 201, BLUETOOTH_HCI_H4_WITH_PHDR, each packet prefixed by a
 * 4-octet big-endian direction (0 sent by the host, 1 received by the host) and then the H4 packet.
 * Wireshark and tshark dissect it down to L2CAP, ATT and SMP. One interface per controller.
 */
import os from 'node:os';
import type { Clock } from '../../firmware-sim/clock.js';
import { LINKTYPE_BLUETOOTH_HCI_H4_WITH_PHDR, PcapngWriter } from '../capture/pcapng.js';
import { VIRTUAL_EPOCH_MS } from '../capture/serial-capture.js';
import type { TraceRecord, VirtualController } from './controller.js';

export interface HciCaptureOptions {
  file: string;
  clock: Clock;
  /** Epoch (ms since 1970) of clock time 0 for a virtual clock. Default VIRTUAL_EPOCH_MS. */
  virtualEpochMs?: number;
}

export class HciCapture {
  readonly file: string;
  private readonly writer: PcapngWriter;
  private readonly clock: Clock;
  private readonly epochOffsetMs: number;
  private readonly detachers: (() => void)[] = [];

  constructor(options: HciCaptureOptions) {
    this.file = options.file;
    this.clock = options.clock;
    this.epochOffsetMs = this.clock.virtual
      ? (options.virtualEpochMs ?? VIRTUAL_EPOCH_MS)
      : Date.now() - this.clock.now();
    this.writer = new PcapngWriter(this.file, { os: `${os.type()} ${os.release()}`, userAppl: 'benchtwin' });
  }

  /** Record everything between this controller and its hosts from now on; returns the interface id. */
  add(controller: VirtualController): number {
    const id = this.writer.addInterface({
      linkType: LINKTYPE_BLUETOOTH_HCI_H4_WITH_PHDR,
      name: `hci-${controller.name}`,
      description: `benchtwin virtual LE controller ${controller.address}`,
    });
    const onTrace = (t: TraceRecord) => this.record(id, t);
    controller.on('trace', onTrace);
    this.detachers.push(() => controller.off('trace', onTrace));
    return id;
  }

  close(): void {
    for (const d of this.detachers.splice(0)) d();
    this.writer.close();
  }

  private record(interfaceId: number, t: TraceRecord): void {
    if (this.writer.closed) return;
    const phdr = Buffer.alloc(4);
    phdr.writeUInt32BE(t.direction === 'toController' ? 0 : 1);
    const ms = this.epochOffsetMs + this.clock.now();
    this.writer.writePacket({
      interfaceId,
      timestamp: BigInt(Math.round(ms * 1000)),
      data: Buffer.concat([phdr, t.packet]),
      direction: t.direction === 'toController' ? 'outbound' : 'inbound',
      ...(t.comment ? { comment: t.comment } : {}),
    });
  }
}
