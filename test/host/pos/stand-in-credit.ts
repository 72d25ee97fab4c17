/**
 * A "(stand-in credit server)": a `CreditHost` object for embodiment-2 POS tests. The real client
 * (devices/cat/, ISO 8583 over TCP) and server (services/credit/) are another helper's parts. Like the
 * issuer of docs/SEED-001.md it answers a repeated (terminal id, STAN) from its journal, decrypts the
 * encrypted number with the key the gateway delivered, and checks expiry and limit.
 */
import type {
  AuthorizationRequest,
  AuthorizationResponse,
  CreditHost,
  KeyDelivery,
  ReversalRequest,
} from '../../../firmware-sim/cat/credit-host.js';

/** The stand-in's "encryption": digit-wise addition of a key mod 10 (a stand-in, not FF1). */
export function standInEncrypt(pan: string, key: string): string {
  return [...pan].map((d, i) => String((Number(d) + Number(key[i % key.length])) % 10)).join('');
}

export function standInDecrypt(enc: string, key: string): string {
  return [...enc].map((d, i) => String((Number(d) + 10 - Number(key[i % key.length])) % 10)).join('');
}

export class StandInCreditHost implements CreditHost {
  readonly authorizations: AuthorizationRequest[] = [];
  readonly keys = new Map<string, string>();
  readonly cards = new Map<string, { expiry: string; limit: number }>();
  /** Approved amounts by card number (what the issuer charged). */
  readonly charged: { pan: string; amountMinor: number; stan: number }[] = [];
  /** Authorizations processed whose answer is lost: the client rejects, as the real one does on a timeout. */
  loseAnswers = 0;
  /** Authorizations processed that are never answered nor rejected (the POS is closed while it waits). */
  hang = 0;
  closed = false;
  private readonly answered = new Map<string, AuthorizationResponse>();
  private nextApproval = 1;

  deliver(encryptedPan: string, key: string): void {
    this.keys.set(encryptedPan, key);
  }

  signOn(): Promise<void> {
    return Promise.resolve();
  }

  echo(): Promise<void> {
    return Promise.resolve();
  }

  authorize(r: AuthorizationRequest): Promise<AuthorizationResponse> {
    this.authorizations.push(r);
    const id = `${r.terminalId}:${r.stan}`;
    const answer = this.answered.get(id) ?? this.decide(r);
    this.answered.set(id, answer);
    if (this.loseAnswers > 0) {
      this.loseAnswers--;
      return Promise.reject(new Error('no 0110 within the timeout'));
    }
    if (this.hang > 0) {
      this.hang--;
      return new Promise(() => undefined);
    }
    return Promise.resolve(answer);
  }

  readonly reversals: ReversalRequest[] = [];

  /** Undo the original's charge once, however often the reversal comes. */
  reverse(r: ReversalRequest): Promise<AuthorizationResponse> {
    this.reversals.push(r);
    const i = this.charged.findIndex((c) => c.stan === r.original.stan);
    if (i >= 0) this.charged.splice(i, 1);
    return Promise.resolve({ responseCode: '00', approved: true });
  }

  deliverKey(d: KeyDelivery): Promise<AuthorizationResponse> {
    this.deliver(d.encryptedPan, d.key);
    return Promise.resolve({ responseCode: '00', approved: true });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private decide(r: AuthorizationRequest): AuthorizationResponse {
    const key = this.keys.get(r.pan);
    if (!key) return { responseCode: '14', approved: false };
    const pan = standInDecrypt(r.pan, key);
    const card = this.cards.get(pan);
    if (!card) return { responseCode: '14', approved: false };
    if (card.expiry !== r.expiry) return { responseCode: '54', approved: false };
    const spent = this.charged.filter((c) => c.pan === pan).reduce((s, c) => s + c.amountMinor, 0);
    if (spent + r.amountMinor > card.limit) return { responseCode: '51', approved: false };
    this.charged.push({ pan, amountMinor: r.amountMinor, stan: r.stan });
    const approvalCode = `C${String(this.nextApproval++).padStart(5, '0')}`;
    return { responseCode: '00', approved: true, approvalCode, rrn: `RRN${String(r.stan).padStart(9, '0')}` };
  }
}
