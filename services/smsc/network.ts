/**
 * The simulated radio network between the SMSC and phone twins. A phone registers its MSISDN with a
 * handler; the SMSC hands it SMS-DELIVER TPDUs (one per part) and counts the message delivered when the
 * handler's promise resolves (RP-ACK). A rejection or an absent subscriber is a failed attempt the SMSC
 * retries.
 *
 * Exactly once: the SMSC commits "delivered" only after the acknowledgement, so a crash between the two
 * makes it deliver again after a restart. Each delivery carries the SMSC's message id for that reason; a
 * subscriber acknowledges a repeated id without showing the message twice (`DeduplicatingInbox`).
 */
import type { Clock } from '../../firmware-sim/clock.js';

export interface MtDelivery {
  /** The SMSC's message id; the same on every redelivery of the message. */
  messageId: string;
  /** SMS-DELIVER TPDUs, one per concatenated part; or one SMS-STATUS-REPORT the phone asked for. */
  tpdus: Uint8Array[];
}

/** Resolves to acknowledge the delivery, rejects to refuse it (memory full, error in MS). */
export type DeliverHandler = (delivery: MtDelivery) => Promise<void>;

/** A route out of this network for numbers no phone here has (a gateway modem to another network). */
export type RouteHandler = (msisdn: string, delivery: MtDelivery) => Promise<void>;

/** What the SMSC answers a phone's SMS-SUBMIT with: RP-ACK, or RP-ERROR with a TP-FCS cause. */
export type MoOutcome = { ok: true; messageId: string } | { ok: false; cause: number; reason: string };

export interface MoReceiver {
  acceptMo(msisdn: string, tpdu: Uint8Array): Promise<MoOutcome>;
}

export type DeliveryOutcome = 'delivered' | 'absent' | 'failed';

export interface NetworkOptions {
  /** The clock that times the radio; needed for `latencyMs`. */
  clock?: Clock;
  /** Paging, delivery and RP-ACK of one MT message, on `clock`. */
  latencyMs?: number;
}

export class SimulatedNetwork {
  private readonly subscribers = new Map<string, DeliverHandler>();
  private readonly routes = new Map<string, RouteHandler>();
  private smsc: MoReceiver | undefined;

  constructor(private readonly options: NetworkOptions = {}) {}

  /** Registers a phone; returns the function that detaches it. */
  register(msisdn: string, handler: DeliverHandler): () => void {
    this.subscribers.set(msisdn, handler);
    return () => {
      if (this.subscribers.get(msisdn) === handler) this.subscribers.delete(msisdn);
    };
  }

  /**
   * Numbers starting with `prefix` that no phone of this network has go out through `handler` (the longest
   * matching prefix wins). Returns the function that removes the route.
   */
  route(prefix: string, handler: RouteHandler): () => void {
    this.routes.set(prefix, handler);
    return () => {
      if (this.routes.get(prefix) === handler) this.routes.delete(prefix);
    };
  }

  isRegistered(msisdn: string): boolean {
    return this.subscribers.has(msisdn);
  }

  /** A phone of this network has the number, or a route takes it out. */
  reaches(msisdn: string): boolean {
    return this.subscribers.has(msisdn) || this.routeFor(msisdn) !== undefined;
  }

  /** The SMSC that receives mobile-originated messages (one per network). */
  attachSmsc(smsc: MoReceiver | undefined): void {
    this.smsc = smsc;
  }

  async deliver(msisdn: string, delivery: MtDelivery): Promise<DeliveryOutcome> {
    const { clock, latencyMs = 0 } = this.options;
    if (clock && latencyMs > 0) await new Promise<void>((r) => clock.setTimeout(r, latencyMs));
    const handler = this.subscribers.get(msisdn) ?? this.routeFor(msisdn);
    if (!handler) return 'absent';
    try {
      await handler(delivery);
      return 'delivered';
    } catch {
      return 'failed';
    }
  }

  private routeFor(msisdn: string): DeliverHandler | undefined {
    let best: string | undefined;
    for (const prefix of this.routes.keys()) {
      if (msisdn.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
    }
    const route = best === undefined ? undefined : this.routes.get(best);
    return route && ((delivery) => route(msisdn, delivery));
  }

  /** A phone sends an SMS-SUBMIT TPDU (what AT+CMGS puts on the air). */
  async submitFromPhone(msisdn: string, tpdu: Uint8Array): Promise<MoOutcome> {
    if (!this.smsc) return { ok: false, cause: 0xc0, reason: 'no SMSC reachable (SC busy)' };
    return this.smsc.acceptMo(msisdn, tpdu);
  }
}

/**
 * A subscriber's inbox that acknowledges every delivery and keeps each message id once; what a phone
 * twin puts between the network and its SMS store.
 */
export class DeduplicatingInbox {
  readonly messages = new Map<string, Uint8Array[]>();
  /** Deliveries seen, repeats included. */
  attempts = 0;

  readonly handler: DeliverHandler = async (d) => {
    this.attempts++;
    if (!this.messages.has(d.messageId)) this.messages.set(d.messageId, d.tpdus);
  };
}
