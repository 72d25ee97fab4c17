/**
 * Host driver for a phone's AT modem (TS 27.007 / 27.005) on any serial path — a real GSM modem on
 * /dev/ttyUSB0 or a phone twin's PTY, opened with `serialport` alike. One command at a time with a timeout,
 * identification, PIN entry, raw APDUs through +CSIM (an `ApduTransport` for the UIM drivers), and SMS in
 * PDU mode: sending (concatenated), listing, reading, deleting, and receiving through +CNMI indications with
 * reassembly of concatenated parts.
 */
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import type { Clock } from '../../../firmware-sim/clock.js';
import { SystemClock } from '../../../firmware-sim/clock.js';
import {
  decodeAtPdu,
  encodeAtPdu,
  formatAddress,
  parseAddress,
  smsSubmitsForText,
  SmsReassembler,
  type SmsSubmit,
  type DecodedAtPdu,
  type ReassembledMessage,
} from '../../../firmware-sim/phone/sms/index.js';
import type { ApduTransport } from '../uim/channel.js';
import { errorCode, ModemLineReader, type ModemEvent } from './at-line.js';

export interface AtAnswer {
  /** Information text lines (echo and empty lines left out). */
  lines: string[];
  /** The final result code: "OK", "ERROR", "+CMS ERROR: 321" … */
  final: string;
}

/** A command the modem refused (or did not answer in time: `final` is "TIMEOUT"). */
export class AtCommandError extends Error {
  readonly cms: number | undefined;
  readonly cme: number | undefined;
  constructor(
    readonly command: string,
    readonly final: string,
  ) {
    super(`${command}: ${final}`);
    const e = errorCode(final);
    this.cms = e?.kind === 'cms' ? e.code : undefined;
    this.cme = e?.kind === 'cme' ? e.code : undefined;
  }
}

export interface AtModemOptions {
  baudRate?: number;
  /** Time allowed for an ordinary command (default 10 s). */
  timeoutMs?: number;
  /** Time allowed for +CMGS / +CMSS, which wait for the network (default 60 s). */
  sendTimeoutMs?: number;
  clock?: Clock;
}

export interface ModemIdentity {
  manufacturer: string;
  model: string;
  revision: string;
  imei: string;
}

export interface StoredMessage {
  index: number;
  /** TS 27.005 <stat>: 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT. */
  stat: number;
  /** The PDU as listed (SMSC field + TPDU) in hex. */
  pdu: string;
  /** The decoded PDU, or undefined when the codec could not read it. */
  decoded: DecodedAtPdu | undefined;
}

/** A complete (reassembled) message received from the network. */
export interface ReceivedMessage extends ReassembledMessage {
  /** Storage indices its parts were read from (they are deleted when asked). */
  indices: number[];
}

export interface SendOptions {
  alphabet?: 'gsm7' | 'ucs2' | 'auto';
  statusReportRequest?: boolean;
}

interface Pending {
  command: string;
  lines: string[];
  /** The data to send at the "> " prompt (followed by Ctrl-Z). */
  data?: string;
  resolve: (a: AtAnswer) => void;
  reject: (e: Error) => void;
}

const CTRL_Z = '\x1a';
/** Notices real modems send on their own after power-up or PIN entry (never an answer to a command). */
const NOTICE = /^(RDY|SMS DONE|PB DONE|SMS Ready|Call Ready|\^\w+:.*)$/;
/** Codes that are unsolicited unless the running command is the one they name (+CREG: 1 after AT+CREG?). */
const REPORT_PREFIXES = new Set(['+CREG', '+CGREG', '+CEREG', '+CPIN', '+CFUN', '+CIEV', '+CUSD', '+QIND']);

/** 8-bit concatenation references, starting anywhere so two driver runs do not collide. */
let nextReference = Math.floor(Math.random() * 256);

export class AtModem extends EventEmitter implements ApduTransport {
  private readonly reader = new ModemLineReader();
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly sendTimeoutMs: number;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly reassembler = new SmsReassembler();
  private readonly partIndices = new Map<string, number[]>();
  private receiving: { deleteAfterRead: boolean } | undefined;
  private closed = false;

  private constructor(
    private readonly port: SerialPort,
    options: AtModemOptions,
  ) {
    super();
    this.clock = options.clock ?? new SystemClock();
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 60_000;
    port.on('data', (chunk: Buffer) => {
      for (const e of this.reader.push(chunk)) this.event(e);
    });
    port.on('close', () => {
      this.closed = true;
      this.pending?.reject(new Error('modem port closed'));
      this.pending = undefined;
    });
    port.on('error', (err) => this.emit('error', err));
  }

  /** Opens the modem at `path` and brings it to a known state (echo off, numeric +CME errors, PDU mode). */
  static async open(path: string, options: AtModemOptions = {}): Promise<AtModem> {
    const port = new SerialPort({ path, baudRate: options.baudRate ?? 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    const modem = new AtModem(port, options);
    try {
      await modem.initialise();
    } catch (err) {
      await modem.close();
      throw err;
    }
    return modem;
  }

  private async initialise(): Promise<void> {
    // A modem left in a prompt or a half-typed line: ESC and a bare CR clear both.
    await this.write(`\x1b\r`);
    let answered = false;
    for (let i = 0; i < 3 && !answered; i++) {
      try {
        await this.command('AT', { timeoutMs: 2000 });
        answered = true;
      } catch (err) {
        if (i === 2) throw err;
      }
    }
    await this.command('ATE0');
    await this.command('AT+CMEE=1');
  }

  /**
   * Sends one command line (without "AT"'s CR) and resolves with its answer; rejects with an
   * `AtCommandError` on anything but OK. `data` is what to send at a "> " prompt.
   */
  command(line: string, options: { timeoutMs?: number; data?: string } = {}): Promise<AtAnswer> {
    const run = (): Promise<AtAnswer> => this.run(line, options);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private run(line: string, options: { timeoutMs?: number; data?: string }): Promise<AtAnswer> {
    if (this.closed) return Promise.reject(new Error('modem port closed'));
    return new Promise<AtAnswer>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (this.pending !== p) return;
        this.pending = undefined;
        // Leave a prompt the modem may still hold, so the next command starts clean.
        if (options.data !== undefined) void this.write('\x1b');
        reject(new AtCommandError(line, 'TIMEOUT'));
      }, options.timeoutMs ?? this.timeoutMs);
      const p: Pending = {
        command: line,
        lines: [],
        ...(options.data !== undefined ? { data: options.data } : {}),
        resolve: (a) => {
          this.clock.clearTimeout(timer);
          if (a.final === 'OK') resolve(a);
          else reject(new AtCommandError(line, a.final));
        },
        reject: (e) => {
          this.clock.clearTimeout(timer);
          reject(e);
        },
      };
      this.pending = p;
      this.write(`${line}\r`).catch((err: Error) => {
        if (this.pending === p) this.pending = undefined;
        p.reject(err);
      });
    });
  }

  private event(e: ModemEvent): void {
    const p = this.pending;
    switch (e.kind) {
      case 'urc':
        this.urc(e.lines);
        return;
      case 'prompt':
        if (p?.data !== undefined) {
          void this.write(p.data + CTRL_Z);
        } else {
          // A prompt nobody asked for: leave it.
          void this.write('\x1b');
        }
        return;
      case 'line':
        // The echo of the command (before ATE0 takes effect).
        if (p && e.text === p.command && p.lines.length === 0) return;
        if (!p || this.isNotice(e.text, p.command)) {
          this.emit('unsolicited', [e.text]);
          return;
        }
        p.lines.push(e.text);
        return;
      case 'final':
        if (!p) return;
        this.pending = undefined;
        p.resolve({ lines: p.lines, final: e.text });
        return;
    }
  }

  private isNotice(line: string, command: string): boolean {
    if (NOTICE.test(line)) return true;
    const prefix = /^(\+[A-Z]+):/.exec(line)?.[1];
    return prefix !== undefined && REPORT_PREFIXES.has(prefix) && !command.toUpperCase().includes(prefix);
  }

  private write(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('modem port closed'));
      this.port.write(Buffer.from(text, 'latin1'), (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (this.closed || !this.port.isOpen) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }

  // ----- identification and SIM -------------------------------------------------------------------

  private async text(command: string): Promise<string> {
    const a = await this.command(command);
    return (a.lines[0] ?? '').replace(/^\+\w+: ?/, '').trim();
  }

  /** +CGMI, +CGMM, +CGMR, +CGSN (TS 27.007 §5). */
  async identify(): Promise<ModemIdentity> {
    return {
      manufacturer: await this.text('AT+CGMI'),
      model: await this.text('AT+CGMM'),
      revision: await this.text('AT+CGMR'),
      imei: await this.text('AT+CGSN'),
    };
  }

  /** +CIMI: needs the SIM unlocked. */
  imsi(): Promise<string> {
    return this.text('AT+CIMI');
  }

  /** +CPIN?: READY, SIM PIN, SIM PUK … */
  async pinState(): Promise<string> {
    return this.text('AT+CPIN?');
  }

  /** Enters the PIN when the SIM asks for it; resolves once it is READY. */
  async unlock(pin: string): Promise<void> {
    const state = await this.pinState();
    if (state === 'READY') return;
    if (state !== 'SIM PIN') throw new AtCommandError('AT+CPIN?', `+CPIN: ${state}`);
    await this.command(`AT+CPIN="${pin}"`);
  }

  /** A raw APDU through +CSIM (TS 27.007 §8.17); the response comes back with its status word. */
  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const hex = Buffer.from(apdu).toString('hex').toUpperCase();
    const a = await this.command(`AT+CSIM=${hex.length},"${hex}"`);
    const m = /^\+CSIM: ?(\d+),"?([0-9A-Fa-f]*)"?$/.exec(a.lines[0] ?? '');
    if (!m || Number(m[1]) !== m[2]!.length) throw new AtCommandError('AT+CSIM', `bad answer ${a.lines[0]}`);
    return Uint8Array.from(Buffer.from(m[2]!, 'hex'));
  }

  // ----- SMS ---------------------------------------------------------------------------------------------

  /**
   * Sends a text as one or more SMS-SUBMITs (concatenated when long), each with +CMGS in PDU mode.
   * Resolves with the TP-MR of every part.
   */
  async sendSms(destination: string, text: string, options: SendOptions = {}): Promise<number[]> {
    await this.command('AT+CMGF=0');
    const reference = nextReference++ & 0xff;
    const parts = smsSubmitsForText({
      destination: parseAddress(destination),
      text,
      messageReference: 0,
      reference,
      ...(options.alphabet ? { alphabet: options.alphabet } : {}),
      ...(options.statusReportRequest ? { statusReportRequest: true } : {}),
    });
    return this.sendSubmits(parts);
  }

  /**
   * Sends prepared SMS-SUBMIT TPDUs (concatenation headers, ports and DCS as they are), one +CMGS each.
   * Resolves with the TP-MR of every part.
   */
  async sendSubmits(parts: readonly SmsSubmit[]): Promise<number[]> {
    await this.command('AT+CMGF=0');
    const mrs: number[] = [];
    for (const tpdu of parts) {
      const pdu = encodeAtPdu({ tpdu });
      const a = await this.command(`AT+CMGS=${pdu.tpduLength}`, {
        data: pdu.hex,
        timeoutMs: this.sendTimeoutMs,
      });
      const m = /^\+CMGS: ?(\d+)/.exec(a.lines[0] ?? '');
      mrs.push(m ? Number(m[1]) : -1);
    }
    return mrs;
  }

  /** +CMGL in PDU mode; `stat` 4 = all. Listing marks unread messages read, as the modem does. */
  async listSms(stat = 4): Promise<StoredMessage[]> {
    await this.command('AT+CMGF=0');
    const a = await this.command(`AT+CMGL=${stat}`);
    const out: StoredMessage[] = [];
    for (let i = 0; i < a.lines.length; i++) {
      const m = /^\+CMGL: ?(\d+),(\d+),[^,]*,(\d+)$/.exec(a.lines[i]!);
      if (!m) continue;
      const pdu = a.lines[++i] ?? '';
      out.push(this.stored(Number(m[1]), Number(m[2]), pdu, Number(m[3])));
    }
    return out;
  }

  /** +CMGR in PDU mode; rejects with `cms` 321 for an empty slot. */
  async readSms(index: number): Promise<StoredMessage> {
    await this.command('AT+CMGF=0');
    const a = await this.command(`AT+CMGR=${index}`);
    const m = /^\+CMGR: ?(\d+),[^,]*,(\d+)$/.exec(a.lines[0] ?? '');
    if (!m) throw new AtCommandError(`AT+CMGR=${index}`, `bad answer ${a.lines[0]}`);
    return this.stored(index, Number(m[1]), a.lines[1] ?? '', Number(m[2]));
  }

  async deleteSms(index: number, delflag = 0): Promise<void> {
    await this.command(`AT+CMGD=${index},${delflag}`);
  }

  private stored(index: number, stat: number, pdu: string, length: number): StoredMessage {
    const d = decodeAtPdu(pdu, stat <= 1 ? 'sc-to-ms' : 'ms-to-sc', length);
    return { index, stat, pdu, decoded: d.ok ? d.value : undefined };
  }

  /**
   * Asks for new-message indications (+CNMI=2,1: stored, +CMTI) and reads each message as it arrives;
   * complete messages are emitted as 'sms' (`ReceivedMessage`). Parts are deleted after reading when asked.
   */
  async startReceiving(options: { deleteAfterRead?: boolean } = {}): Promise<void> {
    this.receiving = { deleteAfterRead: options.deleteAfterRead ?? false };
    await this.command('AT+CMGF=0');
    await this.command('AT+CNMI=2,1,0,0,0');
  }

  private urc(lines: string[]): void {
    this.emit('unsolicited', lines);
    const head = lines[0]!;
    const cmti = /^\+CMTI: ?"(\w+)",(\d+)$/.exec(head);
    if (cmti && this.receiving) {
      const index = Number(cmti[2]);
      void this.fetch(cmti[1]!, index).catch((err: unknown) => this.emit('error', err));
      return;
    }
    const cmt = /^\+CMT: ?[^,]*,(\d+)$/.exec(head);
    if (cmt && lines[1] !== undefined) {
      const d = decodeAtPdu(lines[1], 'sc-to-ms', Number(cmt[1]));
      if (d.ok) this.collect(d.value, undefined);
    }
  }

  private async fetch(mem: string, index: number): Promise<void> {
    await this.command(`AT+CPMS="${mem}"`);
    const s = await this.readSms(index);
    if (s.decoded) this.collect(s.decoded, index);
    if (this.receiving?.deleteAfterRead) await this.deleteSms(index);
  }

  private collect(pdu: DecodedAtPdu, index: number | undefined): void {
    const t = pdu.tpdu;
    if (t.type !== 'SMS-DELIVER') {
      this.emit('report', t);
      return;
    }
    const originator = formatAddress(t.originator);
    const r = this.reassembler.add(originator, t.userData);
    if (index !== undefined) {
      const list = this.partIndices.get(originator) ?? [];
      list.push(index);
      this.partIndices.set(originator, list);
    }
    if (r.status !== 'complete') return;
    const indices = this.partIndices.get(originator) ?? [];
    this.partIndices.delete(originator);
    const message: ReceivedMessage = { ...r.message, indices };
    this.emit('sms', message);
  }
}
