/**
 * Reassembly of concatenated messages (3GPP TS 23.040 §9.2.3.24.1). Parts are grouped by originator,
 * reference (with its width) and total (a reference is reused once it wraps, the total tells two uses apart); they may
 * arrive in any order, a repeated part is ignored, and sets still missing parts can be listed.
 * Pure: the caller passes the time a part arrived, for ageing out incomplete sets.
 *
 * The keys of the last 64 completed sets are remembered, so a part repeated after its set completed is
 * still a duplicate; a sender cycles through 256 references before reusing one, so this cannot swallow a
 * new message.
 */
import { concatOf, portsOf, type InformationElement } from './udh.js';
import type { UserData } from './user-data.js';

export interface ReassembledMessage {
  originator: string;
  /** Undefined for a message that was not concatenated. */
  reference?: number;
  total: number;
  /** Parts in sequence order. */
  parts: UserData[];
  /** Joined text when the parts carry text (a surrogate pair split across parts joins up again). */
  text?: string;
  /** Joined octets when the parts carry data. */
  data?: Uint8Array;
  /** Application ports of the first part, when addressed to one (WAP Push: 2948). */
  ports?: { destination: number; source: number };
}

export type ReassemblyOutcome =
  | { status: 'complete'; message: ReassembledMessage }
  | { status: 'pending'; received: number; total: number }
  | { status: 'duplicate' };

export interface IncompleteSet {
  originator: string;
  referenceBits: 8 | 16;
  reference: number;
  total: number;
  missing: number[];
  firstReceivedAt: number;
}

interface PendingSet {
  originator: string;
  referenceBits: 8 | 16;
  reference: number;
  total: number;
  parts: Map<number, UserData>;
  firstReceivedAt: number;
}

function assemble(originator: string, parts: UserData[], reference: number | undefined): ReassembledMessage {
  const ports = portsOf(parts[0]?.header as InformationElement[] | undefined);
  const hasText = parts.some((p) => p.text !== undefined);
  const message: ReassembledMessage = {
    originator,
    ...(reference === undefined ? {} : { reference }),
    total: parts.length,
    parts,
    ...(ports ? { ports: { destination: ports.destination, source: ports.source } } : {}),
  };
  if (hasText) message.text = parts.map((p) => p.text ?? '').join('');
  else message.data = Uint8Array.from(parts.flatMap((p) => [...(p.data ?? [])]));
  return message;
}

const COMPLETED_MEMORY = 64;

/** An 8-bit and a 16-bit reference with the same value belong to different messages. */
const keyOf = (originator: string, bits: number, reference: number, total: number): string =>
  `${originator}\u0000${bits}:${reference}\u0000${total}`;

export class SmsReassembler {
  private readonly sets = new Map<string, PendingSet>();
  private readonly completed = new Set<string>();

  /** Adds one part (or a single message, which completes at once). */
  add(originator: string, userData: UserData, receivedAt = 0): ReassemblyOutcome {
    const c = concatOf(userData.header);
    if (!c || c.total === 1) {
      return { status: 'complete', message: assemble(originator, [userData], c?.reference) };
    }
    const key = keyOf(originator, c.referenceBits, c.reference, c.total);
    if (this.completed.has(key)) return { status: 'duplicate' };
    let set = this.sets.get(key);
    if (!set) {
      set = {
        originator,
        referenceBits: c.referenceBits,
        reference: c.reference,
        total: c.total,
        parts: new Map(),
        firstReceivedAt: receivedAt,
      };
      this.sets.set(key, set);
    }
    if (set.parts.has(c.sequence)) return { status: 'duplicate' };
    set.parts.set(c.sequence, userData);
    if (set.parts.size < set.total) return { status: 'pending', received: set.parts.size, total: set.total };
    this.sets.delete(key);
    this.completed.add(key);
    if (this.completed.size > COMPLETED_MEMORY) this.completed.delete(this.completed.values().next().value!);
    const ordered = [...set.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
    return { status: 'complete', message: assemble(originator, ordered, c.reference) };
  }

  /** Sets still waiting for parts. */
  incomplete(): IncompleteSet[] {
    return [...this.sets.values()].map((s) => ({
      originator: s.originator,
      referenceBits: s.referenceBits,
      reference: s.reference,
      total: s.total,
      missing: Array.from({ length: s.total }, (_, i) => i + 1).filter((n) => !s.parts.has(n)),
      firstReceivedAt: s.firstReceivedAt,
    }));
  }

  /** Drops sets whose first part came before `olderThan`, returning them (a phone shows them as partial). */
  expire(olderThan: number): IncompleteSet[] {
    const gone = this.incomplete().filter((s) => s.firstReceivedAt < olderThan);
    for (const s of gone) this.sets.delete(keyOf(s.originator, s.referenceBits, s.reference, s.total));
    return gone;
  }
}
