/**
 * The host side of Zebra SSI (Simple Serial Interface), over the shared codec in firmware-sim/scanner/ssi.ts.
 *
 * Decoder → host: every valid packet is ACKed (CMD_ACK), except the decoder's own ACK/NAK; a packet whose
 * checksum fails is NAKed with RESEND; a retransmission (status bit 0) of the packet last accepted is ACKed
 * again but not processed twice; DECODE_DATA with the continuation bit is reassembled; a packet left
 * unfinished by an inter-byte silence is dropped (the decoder resends it when no ACK comes).
 * Host → decoder: one command at a time, waiting for CMD_ACK; no reply → resend with the retransmit bit;
 * CMD_NAK RESEND → resend; any other CMD_NAK → the command failed.
 */
import type { TimerHandle } from '../../../firmware-sim/clock.js';
import {
  SsiDeframer,
  SsiNakCause,
  SsiOpcode,
  SsiSource,
  SsiStatus,
  encodeParamSend,
  encodeSsi,
  ssiPacket,
} from '../../../firmware-sim/scanner/ssi.js';
import type { SsiPacket, SsiParam as SsiParamValue } from '../../../firmware-sim/scanner/ssi.js';
import { SsiCodeIdMode, SsiParam } from '../../../firmware-sim/scanner/ssi-params.js';
import { decodeSsiLabel } from './label.js';
import type { LinkContext, ScannerLink } from './link.js';
import { ExtendedFailure, UposError, UposException } from './upos.js';

export interface SsiLinkOptions {
  interByteTimeoutMs: number;
  /** How long to wait for the decoder's CMD_ACK / CMD_NAK before resending. */
  responseTimeoutMs: number;
  /** Resends (timeout or NAK RESEND) before the command fails. */
  retries: number;
  /** Ask the decoder to prefix data with the AIM id (and strip it when decoding). */
  aimId: boolean;
  /** More parameters for PARAM_SEND, after the driver's own. */
  params: SsiParamValue[];
  /** Longest reassembled label; longer input is an input error. */
  maxLabelLength: number;
}

interface Transaction {
  ack(): void;
  nak(cause: number): void;
  fail(error: UposException): void;
}

function samePacket(a: SsiPacket, b: SsiPacket): boolean {
  const mask = ~SsiStatus.RETRANSMIT & 0xff;
  return (
    a.opcode === b.opcode &&
    a.source === b.source &&
    (a.status & mask) === (b.status & mask) &&
    Buffer.from(a.data).equals(Buffer.from(b.data))
  );
}

export class SsiLink implements ScannerLink {
  private readonly deframer = new SsiDeframer();
  private interByteTimer: TimerHandle | undefined;
  private lastAccepted: SsiPacket | undefined;
  private parts: Buffer[] = [];
  private partsLength = 0;
  private partsType = -1;
  private current: Transaction | undefined;
  private chain: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly ctx: LinkContext,
    private readonly options: SsiLinkOptions,
  ) {}

  receive(chunk: Buffer): void {
    if (this.disposed) return;
    for (const frame of this.deframer.push(chunk)) {
      switch (frame.kind) {
        case 'bad-length':
          // Not the start of a packet (noise, or the tail of one we dropped): skipped byte by byte.
          break;
        case 'bad-checksum':
          this.ctx.trace(`SSI checksum error in ${frame.raw.toString('hex')}: NAK RESEND`);
          this.send(ssiPacket(SsiOpcode.CMD_NAK, SsiSource.HOST, [SsiNakCause.RESEND]));
          break;
        case 'packet':
          this.onPacket(frame.packet);
          break;
      }
    }
    this.armInterByteTimer();
  }

  async configure(): Promise<void> {
    // Parameter numbers from the shared table (ssi-params.ts), which the emulated decoder implements too.
    const params: SsiParamValue[] = [
      { number: SsiParam.SOFTWARE_HANDSHAKING, value: 1 },
      { number: SsiParam.DECODE_DATA_PACKET_FORMAT, value: 1 },
      {
        number: SsiParam.TRANSMIT_CODE_ID,
        value: this.options.aimId ? SsiCodeIdMode.AIM : SsiCodeIdMode.NONE,
      },
      ...this.options.params,
    ];
    // Temporary (status bit 3 clear): the host sets its mode at every session, as a POS driver should.
    await this.request(SsiOpcode.PARAM_SEND, encodeParamSend(params));
  }

  async enableScanning(): Promise<void> {
    await this.request(SsiOpcode.SCAN_ENABLE, []);
  }

  async disableScanning(): Promise<void> {
    await this.request(SsiOpcode.SCAN_DISABLE, []);
  }

  reset(reason: UposException): void {
    this.cancelInterByteTimer();
    this.deframer.reset();
    this.lastAccepted = undefined;
    this.dropParts();
    this.current?.fail(reason);
  }

  dispose(): void {
    this.disposed = true;
    this.reset(new UposException(UposError.E_CLOSED, 'scanner closed'));
  }

  private onPacket(packet: SsiPacket): void {
    if (packet.source !== SsiSource.DECODER) {
      this.ctx.trace(`SSI packet from source ${packet.source} ignored (not the decoder)`);
      return;
    }
    if (packet.opcode === SsiOpcode.CMD_ACK) {
      this.current?.ack();
      return;
    }
    if (packet.opcode === SsiOpcode.CMD_NAK) {
      this.current?.nak(packet.data[0] ?? SsiNakCause.RESEND);
      return;
    }
    this.send(ssiPacket(SsiOpcode.CMD_ACK, SsiSource.HOST));
    if (packet.status & SsiStatus.RETRANSMIT && this.lastAccepted && samePacket(packet, this.lastAccepted)) {
      this.ctx.trace('SSI retransmission of the packet already accepted: ACKed, dropped');
      return;
    }
    this.lastAccepted = packet;
    if (packet.opcode === SsiOpcode.DECODE_DATA) this.onDecodeData(packet);
    // Other decoder packets (EVENT, REPLY_REVISION…) carry nothing a Scanner reports.
  }

  private onDecodeData(packet: SsiPacket): void {
    const type = packet.data[0];
    if (type === undefined) {
      this.ctx.trace('SSI DECODE_DATA without a code type: dropped');
      return;
    }
    if (this.parts.length > 0 && type !== this.partsType) {
      this.dropParts();
      this.ctx.inputError(UposError.E_FAILURE, 0, 'SSI continuation packet of another symbology');
    }
    const data = Buffer.from(packet.data.subarray(1));
    this.parts.push(data);
    this.partsLength += data.length;
    this.partsType = type;
    if (this.partsLength > this.options.maxLabelLength) {
      this.dropParts();
      this.ctx.inputError(
        UposError.E_FAILURE,
        0,
        `SSI label longer than ${this.options.maxLabelLength} bytes`,
      );
      return;
    }
    if (packet.status & SsiStatus.CONTINUATION) return;
    const scanData = Buffer.concat(this.parts);
    this.dropParts();
    this.ctx.label(scanData, decodeSsiLabel(scanData, type, this.options.aimId));
  }

  private dropParts(): void {
    this.parts = [];
    this.partsLength = 0;
    this.partsType = -1;
  }

  private send(packet: SsiPacket): void {
    // A failed write means a lost port; the Scanner hears of it from the port itself.
    this.ctx.write(encodeSsi(packet)).catch(() => {});
  }

  private armInterByteTimer(): void {
    this.cancelInterByteTimer();
    if (this.deframer.pending === 0) return;
    this.interByteTimer = this.ctx.clock.setTimeout(() => {
      this.interByteTimer = undefined;
      this.ctx.trace(`SSI partial packet of ${this.deframer.pending} bytes dropped after silence`);
      this.deframer.reset();
    }, this.options.interByteTimeoutMs);
  }

  private cancelInterByteTimer(): void {
    if (this.interByteTimer) this.ctx.clock.clearTimeout(this.interByteTimer);
    this.interByteTimer = undefined;
  }

  /** Sends one host command and waits for the decoder's verdict; commands never overlap. */
  private request(opcode: number, data: ArrayLike<number>): Promise<void> {
    const run = (): Promise<void> => {
      if (this.disposed) return Promise.reject(new UposException(UposError.E_CLOSED, 'scanner closed'));
      return this.transact(ssiPacket(opcode, SsiSource.HOST, data));
    };
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => {});
    return result;
  }

  private transact(packet: SsiPacket): Promise<void> {
    const { clock } = this.ctx;
    const name = `SSI command 0x${packet.opcode.toString(16)}`;
    return new Promise<void>((resolve, reject) => {
      let attempts = 0;
      let timer: TimerHandle | undefined;
      let done = false;
      const finish = (error?: UposException): void => {
        if (done) return;
        done = true;
        clock.clearTimeout(timer);
        if (this.current === tx) this.current = undefined;
        if (error) reject(error);
        else resolve();
      };
      const attempt = (): void => {
        if (done) return;
        if (attempts > this.options.retries) {
          finish(new UposException(UposError.E_TIMEOUT, `${name}: no ACK after ${attempts} attempts`));
          return;
        }
        const retransmit = attempts > 0 ? SsiStatus.RETRANSMIT : 0;
        attempts++;
        clock.clearTimeout(timer);
        timer = clock.setTimeout(attempt, this.options.responseTimeoutMs);
        this.ctx.write(encodeSsi({ ...packet, status: packet.status | retransmit })).catch((err: unknown) => {
          finish(new UposException(UposError.E_NOHARDWARE, `${name}: write failed`, 0, { cause: err }));
        });
      };
      const tx: Transaction = {
        ack: () => finish(),
        nak: (cause) => {
          if (cause === SsiNakCause.RESEND) {
            this.ctx.trace(`${name}: NAK RESEND`);
            attempt();
            return;
          }
          finish(
            new UposException(
              UposError.E_FAILURE,
              `${name} refused by the decoder (NAK cause ${cause})`,
              ExtendedFailure.SSI_NAK_BASE + cause,
            ),
          );
        },
        fail: (error) => finish(error),
      };
      this.current = tx;
      attempt();
    });
  }
}
