/**
 * The Zebra SSI command set of the emulated decoder: every host packet is answered (CMD_ACK, CMD_NAK, or
 * the reply that stands for an ACK: REPLY_REVISION, PARAM_SEND), decode data goes out as DECODE_DATA with
 * the ACK/NAK handshake (retransmit bit on NAK RESEND or time-out, two retries, then a transmission error)
 * or as raw data, and the parameters live in a volatile and a non-volatile table.
 */
import type { TimerHandle } from '../clock.js';
import type { CommandSet, FirmwareServices, TriggerMode } from './command-set.js';
import { SettingsTable, type SettingValue } from './settings.js';
import {
  SSI_ALL_PARAMS,
  SSI_MAX_DATA,
  SSI_NO_BEEP,
  SsiDeframer,
  SsiNakCause,
  SsiOpcode,
  SsiSource,
  SsiStatus,
  decodeParamRequest,
  decodeParamSend,
  encodeParamSend,
  encodeSsi,
  type SsiPacket,
  type SsiParam as SsiParamValue,
} from './ssi.js';
import { SSI_SYMBOLOGY_PARAM, SsiCodeIdMode, SsiParam, SsiTriggerMode, ssiParamTable } from './ssi-params.js';
import { SYMBOLOGY_TABLE, type Symbology } from './symbology.js';
import type { DecodedSymbol } from './types.js';

/** Opcodes the decoder accepts but ssi.ts does not name (aim pattern control). */
const AIM_OFF = 0xc4;
const AIM_ON = 0xc5;

/** DECODE_DATA carries the barcode type in every packet, so each holds this much label data. */
const DECODE_CHUNK = SSI_MAX_DATA - 1;

interface Outgoing {
  packets: SsiPacket[];
  index: number;
  attempts: number;
}

export interface SsiCounters {
  /** Decode messages abandoned after the retries (or refused by the host). */
  transmitErrors: number;
  retransmissions: number;
  /** Host packets answered with CMD_NAK RESEND for a bad checksum. */
  badChecksums: number;
}

export class SsiCommandSet implements CommandSet {
  readonly settings: SettingsTable;
  readonly counters: SsiCounters = { transmitErrors: 0, retransmissions: 0, badChecksums: 0 };
  private readonly deframer = new SsiDeframer();
  private readonly specs = ssiParamTable();
  private outbox: SsiPacket[][] = [];
  private current: Outgoing | undefined;
  private ackTimer: TimerHandle | undefined;
  private charTimer: TimerHandle | undefined;

  constructor(private readonly fw: FirmwareServices) {
    const overrides = fw.profile.ssi?.defaults ?? {};
    const defaults = new Map<string, SettingValue>();
    for (const [n, spec] of this.specs) defaults.set(String(n), overrides[n] ?? spec.default);
    for (const sym of fw.profile.symbologies) {
      const n = SSI_SYMBOLOGY_PARAM[sym];
      defaults.set(String(n), overrides[n] ?? 1);
    }
    this.settings = new SettingsTable(defaults, fw.nvram, 'zebra-ssi');
  }

  param(n: number): number {
    return Number(this.settings.get(String(n)) ?? 0);
  }

  // --- CommandSet -------------------------------------------------------------------------------------

  receive(bytes: Uint8Array): void {
    for (const frame of this.deframer.push(bytes)) {
      if (frame.kind === 'bad-checksum') {
        this.counters.badChecksums++;
        this.nak(SsiNakCause.RESEND);
      } else if (frame.kind === 'packet') {
        this.handle(frame.packet);
      }
      // 'bad-length': a lone byte such as the 0x00 a host sends to wake the decoder — skipped.
    }
    this.fw.clock.clearTimeout(this.charTimer);
    this.charTimer = undefined;
    if (this.deframer.pending > 0) {
      // Host Character Time-out: an unfinished packet is discarded after this much silence.
      this.charTimer = this.fw.clock.setTimeout(
        () => {
          this.charTimer = undefined;
          this.deframer.reset();
        },
        this.param(SsiParam.HOST_CHARACTER_TIMEOUT) * 10,
      );
    }
  }

  deliver(symbol: DecodedSymbol): Uint8Array {
    const message = this.format(symbol);
    if (this.param(SsiParam.DECODE_DATA_PACKET_FORMAT) === 0) {
      // Raw data: no packet, so no handshake either.
      this.fw.send(message);
      return message;
    }
    const type = SYMBOLOGY_TABLE[symbol.symbology].ssiCodeType;
    const packets: SsiPacket[] = [];
    for (let off = 0; off < message.length || off === 0; off += DECODE_CHUNK) {
      const chunk = message.subarray(off, off + DECODE_CHUNK);
      const last = off + DECODE_CHUNK >= message.length;
      packets.push({
        opcode: SsiOpcode.DECODE_DATA,
        source: SsiSource.DECODER,
        status: last ? 0 : SsiStatus.CONTINUATION,
        data: Uint8Array.from([type, ...chunk]),
      });
    }
    this.outbox.push(packets);
    if (!this.current) this.sendNext();
    return message;
  }

  symbologyEnabled(symbology: Symbology): boolean {
    return this.param(SSI_SYMBOLOGY_PARAM[symbology]) === 1;
  }

  triggerMode(): TriggerMode {
    const m = this.param(SsiParam.TRIGGER_MODE);
    return m === SsiTriggerMode.PRESENTATION
      ? 'presentation'
      : m === SsiTriggerMode.HOST
        ? 'serial'
        : 'manual';
  }

  readTimeoutMs(): number {
    return this.param(SsiParam.DECODE_SESSION_TIMEOUT) * 100;
  }

  beeperVolume(): number {
    return 3 - this.param(SsiParam.BEEPER_VOLUME);
  }

  goodReadBeep(): boolean {
    return this.param(SsiParam.BEEP_AFTER_GOOD_DECODE) === 1;
  }

  dispose(): void {
    this.fw.clock.clearTimeout(this.ackTimer);
    this.fw.clock.clearTimeout(this.charTimer);
    this.ackTimer = this.charTimer = undefined;
    this.outbox = [];
    this.current = undefined;
  }

  /** Decode messages waiting for the host (the one in flight included). */
  get queued(): number {
    return this.outbox.length + (this.current ? 1 : 0);
  }

  // --- output format -----------------------------------------------------------------------------------

  /** `[prefix][code id][data][suffix 1][suffix 2]` per Scan Data Transmission Format and Transmit Code ID. */
  format(symbol: DecodedSymbol): Buffer {
    const fmt = this.param(SsiParam.SCAN_DATA_TRANSMISSION_FORMAT);
    const mode = this.param(SsiParam.TRANSMIT_CODE_ID);
    const info = SYMBOLOGY_TABLE[symbol.symbology];
    const id =
      mode === SsiCodeIdMode.AIM ? symbol.aim : mode === SsiCodeIdMode.SYMBOL ? info.zebraCodeId : '';
    const parts: Buffer[] = [];
    if (fmt >= 4) parts.push(Buffer.from([this.param(SsiParam.PREFIX_VALUE)]));
    parts.push(Buffer.from(id, 'latin1'), Buffer.from(symbol.data));
    if (fmt === 1 || fmt === 3 || fmt === 5 || fmt === 7)
      parts.push(Buffer.from([this.param(SsiParam.SUFFIX_1_VALUE)]));
    if (fmt === 2 || fmt === 3 || fmt === 6 || fmt === 7)
      parts.push(Buffer.from([this.param(SsiParam.SUFFIX_2_VALUE)]));
    return Buffer.concat(parts);
  }

  // --- host packets ------------------------------------------------------------------------------------

  private handle(p: SsiPacket): void {
    switch (p.opcode) {
      case SsiOpcode.CMD_ACK:
        return this.onHostAck();
      case SsiOpcode.CMD_NAK:
        return this.onHostNak(p.data[0]);
      case SsiOpcode.PARAM_SEND:
        return this.onParamSend(p);
      case SsiOpcode.PARAM_REQUEST:
        return this.onParamRequest(p.data);
      case SsiOpcode.PARAM_DEFAULTS:
        this.settings.restoreDefaults(true);
        return this.ack();
      case SsiOpcode.REVISION_REQUEST:
        return this.send(SsiOpcode.REPLY_REVISION, Buffer.from(this.revision(), 'latin1'));
      case SsiOpcode.SCAN_ENABLE:
      case SsiOpcode.SCAN_DISABLE:
        this.ack();
        return this.fw.setScanEnabled(p.opcode === SsiOpcode.SCAN_ENABLE);
      case SsiOpcode.START_SESSION:
        this.ack();
        return this.fw.hostTrigger(this.readTimeoutMs());
      case SsiOpcode.STOP_SESSION:
        this.ack();
        return this.fw.hostUntrigger();
      case SsiOpcode.BEEP: {
        const code = p.data[0];
        if (code === undefined || code > 0x1a) return this.nak(SsiNakCause.DENIED);
        this.ack();
        return this.fw.beep('host');
      }
      case SsiOpcode.LED_ON:
      case SsiOpcode.LED_OFF:
        this.ack();
        return this.fw.hostLed(p.opcode === SsiOpcode.LED_ON ? 'green' : undefined);
      case SsiOpcode.FLUSH_QUEUE:
        this.ack();
        return this.flush();
      case SsiOpcode.SLEEP:
      case AIM_ON:
      case AIM_OFF:
        return this.ack();
      default:
        return this.nak(SsiNakCause.BAD_CONTEXT);
    }
  }

  private onParamSend(p: SsiPacket): void {
    const decoded = decodeParamSend(p.data);
    if (!decoded) return this.nak(SsiNakCause.BAD_CONTEXT);
    // All or nothing: an unknown parameter or a bad value changes nothing.
    for (const { number, value } of decoded.params) {
      const spec = this.specs.get(number);
      if (!spec) return this.nak(SsiNakCause.BAD_CONTEXT);
      if (!spec.valid(value)) return this.nak(SsiNakCause.DENIED);
    }
    const permanent = (p.status & SsiStatus.PERMANENT) !== 0;
    this.settings.setMany(
      decoded.params.map((x): [string, SettingValue] => [String(x.number), x.value]),
      permanent,
    );
    this.ack();
    if (decoded.beep !== SSI_NO_BEEP) this.fw.beep('host');
  }

  private onParamRequest(data: Uint8Array): void {
    const numbers = decodeParamRequest(data);
    if (!numbers || numbers.length === 0) return this.nak(SsiNakCause.BAD_CONTEXT);
    const wanted = numbers.length === 1 && numbers[0] === SSI_ALL_PARAMS ? [...this.specs.keys()] : numbers;
    // Unknown parameters are left out of the reply rather than failing the whole request.
    const params: SsiParamValue[] = wanted
      .filter((n) => this.specs.has(n))
      .map((n) => ({ number: n, value: this.param(n) }));
    // Split on parameter boundaries; each packet starts with the beep byte like any PARAM_SEND.
    const packets: SsiParamValue[][] = [[]];
    for (const prm of params) {
      const cur = packets[packets.length - 1]!;
      if (encodeParamSend([...cur, prm]).length > SSI_MAX_DATA) packets.push([prm]);
      else cur.push(prm);
    }
    packets.forEach((group, i) =>
      this.send(
        SsiOpcode.PARAM_SEND,
        encodeParamSend(group),
        i < packets.length - 1 ? SsiStatus.CONTINUATION : 0,
      ),
    );
  }

  // --- decode data handshake -------------------------------------------------------------------------

  private handshaking(): boolean {
    return this.param(SsiParam.SOFTWARE_HANDSHAKING) === 1;
  }

  private sendNext(): void {
    const packets = this.outbox.shift();
    this.current = packets ? { packets, index: 0, attempts: 0 } : undefined;
    if (this.current) this.sendCurrent(false);
  }

  private sendCurrent(retransmit: boolean): void {
    // Without handshaking the packets go out back to back; a loop, not recursion, so long labels are safe.
    while (this.current) {
      const cur = this.current;
      const packet = cur.packets[cur.index]!;
      this.fw.send(encodeSsi({ ...packet, status: packet.status | (retransmit ? SsiStatus.RETRANSMIT : 0) }));
      if (this.handshaking()) {
        this.ackTimer = this.fw.clock.setTimeout(
          () => this.retry(),
          this.param(SsiParam.HOST_SERIAL_RESPONSE_TIMEOUT) * 100,
        );
        return;
      }
      retransmit = false;
      if (!this.advance()) return;
    }
  }

  /** Moves to the next packet of the current message; false when the message is done. */
  private advance(): boolean {
    const cur = this.current;
    if (!cur) return false;
    cur.index++;
    cur.attempts = 0;
    if (cur.index < cur.packets.length) return true;
    this.current = undefined;
    const packets = this.outbox.shift();
    if (!packets) return false;
    this.current = { packets, index: 0, attempts: 0 };
    return true;
  }

  private onHostAck(): void {
    if (!this.current || this.ackTimer === undefined) return; // an ACK nobody waits for is ignored
    this.fw.clock.clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.advance()) this.sendCurrent(false);
  }

  private onHostNak(cause: number | undefined): void {
    if (!this.current || this.ackTimer === undefined) return;
    this.fw.clock.clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (cause === SsiNakCause.RESEND) return this.retry();
    // Any other cause: the host refuses the message; it is not sent again.
    this.giveUp();
  }

  private retry(): void {
    this.ackTimer = undefined;
    const cur = this.current;
    if (!cur) return;
    if (cur.attempts >= (this.fw.profile.ssi?.retries ?? 2)) return this.giveUp();
    cur.attempts++;
    this.counters.retransmissions++;
    this.sendCurrent(true);
  }

  private giveUp(): void {
    this.counters.transmitErrors++;
    this.current = undefined;
    this.fw.transmitFailed();
    this.sendNext();
  }

  private flush(): void {
    this.fw.clock.clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.outbox = [];
    this.current = undefined;
  }

  // --- replies -------------------------------------------------------------------------------------------

  private send(opcode: number, data: Uint8Array = new Uint8Array(0), status = 0): void {
    this.fw.send(encodeSsi({ opcode, source: SsiSource.DECODER, status, data }));
  }

  private ack(): void {
    this.send(SsiOpcode.CMD_ACK);
  }

  private nak(cause: number): void {
    this.send(SsiOpcode.CMD_NAK, Uint8Array.of(cause));
  }

  private revision(): string {
    return this.fw.profile.ssi?.revision ?? this.fw.profile.identity.firmwareRevision;
  }
}
