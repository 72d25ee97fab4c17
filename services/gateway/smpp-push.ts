/**
 * The direction server's reception notice over SMS: an ESME bound as transmitter to an SMSC (SMPP 3.4)
 * that sends each WAP Push as submit_sm parts, 8-bit data (data_coding 4) with UDHI set and the user data
 * header in short_message: application ports 9200 → 2948 (WAP-259-WDP) and, for a long push, the
 * concatenation element. The WSP Push carrying the Service Indication comes from firmware-sim/phone/sms.
 */
import { once } from 'node:events';
import smpp from 'smpp';
import type { Pdu, Session } from 'smpp';
import { SystemClock, type Clock } from '../../firmware-sim/clock.js';
import { encodeSiPush, encodeUdh, wapPushUserData } from '../../firmware-sim/phone/sms/index.js';
import type { PushSender, WapPushRequest } from './push.js';

export interface SmppPushOptions {
  host?: string;
  port: number;
  systemId: string;
  password: string;
  /** Originator shown on the phone: up to 11 GSM characters (alphanumeric, TON 5) or digits (TON 1). */
  source?: string;
  /** Wait for a response before the link is given up as dead (default 10 s). */
  responseTimeoutMs?: number;
  /** Times the response wait; default the wall clock. */
  clock?: Clock;
}

/** SMPP 3.4 §5.2.12 esm_class: UDH indicator. */
const ESM_UDHI = 0x40;
/** §5.2.19 data_coding 4: 8-bit binary. */
const DATA_CODING_8BIT = 0x04;

export class SmppPushError extends Error {
  constructor(
    readonly commandStatus: number,
    message: string,
  ) {
    super(message);
    this.name = 'SmppPushError';
  }
}

export class SmppPushSender implements PushSender {
  private session: Promise<Session> | undefined;
  /** WSP transaction id and concatenation reference, both one octet, advanced per push. */
  private counter = Math.floor(Math.random() * 256);
  private closed = false;

  private readonly clock: Clock;

  constructor(private readonly o: SmppPushOptions) {
    this.clock = o.clock ?? new SystemClock();
  }

  async sendWapPush(push: WapPushRequest): Promise<void> {
    if (this.closed) throw new Error('push sender closed');
    this.counter = (this.counter + 1) & 0xff;
    const wsp = encodeSiPush(
      {
        href: push.href,
        text: push.text,
        action: 'signal-medium',
        ...(push.siId ? { siId: push.siId } : {}),
      },
      this.counter,
    );
    const parts = wapPushUserData(wsp, this.counter);
    const session = await this.bound();
    const source = this.o.source ?? 'BTPAY';
    const alphanumeric = !/^\+?\d+$/.test(source);
    for (const part of parts) {
      const short = Buffer.concat([Buffer.from(encodeUdh(part.header ?? [])), Buffer.from(part.data ?? [])]);
      const resp = await this.call(session, 'submit_sm', {
        source_addr_ton: alphanumeric ? 5 : 1,
        source_addr_npi: alphanumeric ? 0 : 1,
        source_addr: source.replace(/^\+/, ''),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: push.msisdn.replace(/^\+/, ''),
        esm_class: ESM_UDHI,
        data_coding: DATA_CODING_8BIT,
        short_message: short,
      });
      if (resp.command_status !== 0) {
        throw new SmppPushError(
          resp.command_status,
          `submit_sm refused with status 0x${resp.command_status.toString(16)}`,
        );
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    if (!s) return;
    try {
      const session = await s;
      await Promise.race([
        this.call(session, 'unbind', {}).catch(() => undefined),
        new Promise((r) => this.clock.setTimeout(() => r(undefined), 1000)),
      ]);
      session.destroy();
    } catch {
      // never bound: nothing to close
    }
  }

  /** A bound transmitter session, connecting (again) when there is none. */
  private bound(): Promise<Session> {
    if (!this.session) {
      const p = this.connect();
      this.session = p;
      p.catch(() => {
        if (this.session === p) this.session = undefined;
      });
    }
    return this.session;
  }

  private async connect(): Promise<Session> {
    const session = smpp.connect({
      host: this.o.host ?? '127.0.0.1',
      port: this.o.port,
      auto_enquire_link_period: 0,
    });
    const forget = (): void => {
      if (this.session)
        void this.session.then(
          (s) => s === session && (this.session = undefined),
          () => {},
        );
    };
    session.on('close', forget);
    session.on('error', () => {
      forget();
      session.destroy();
    });
    // call() listens for 'close' once per PDU awaiting its response; many pushes may be in flight.
    session.setMaxListeners(0);
    await Promise.race([
      once(session, 'connect'),
      once(session, 'error').then(([e]) => Promise.reject(e instanceof Error ? e : new Error(String(e)))),
    ]);
    const resp = await this.call(session, 'bind_transmitter', {
      system_id: this.o.systemId,
      password: this.o.password,
    });
    if (resp.command_status !== 0) {
      session.destroy();
      throw new SmppPushError(
        resp.command_status,
        `bind_transmitter refused with status 0x${resp.command_status.toString(16)}`,
      );
    }
    return session;
  }

  private call(session: Session, command: string, options: Record<string, unknown>): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        session.destroy();
        reject(new Error(`no ${command}_resp`));
      }, this.o.responseTimeoutMs ?? 10_000);
      const closed = (): void => {
        this.clock.clearTimeout(timer);
        reject(new Error(`SMPP link closed before ${command}_resp`));
      };
      session.once('close', closed);
      const sent = session.send(new smpp.PDU(command, options), (pdu) => {
        this.clock.clearTimeout(timer);
        session.off('close', closed);
        resolve(pdu);
      });
      if (!sent) {
        this.clock.clearTimeout(timer);
        session.off('close', closed);
        reject(new Error('SMPP session not writable'));
      }
    });
  }
}
