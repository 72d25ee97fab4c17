/**
 * A guard in front of bleno's GATT server and SMP. bleno 0.6.2 parses ATT requests without checking their
 * length (a 1-octet Read Request throws a RangeError out of its socket handler and takes the process
 * down), throws on a few well-formed ones (Find By Type Value with an empty value, a short write to a
 * CCCD), and throws on an SMP Pairing Confirm that arrives before a Pairing Request. A phone twin must
 * answer bad input with the protocol's error instead, and we do not patch bleno, so the seam socket of a
 * bleno copy passes L2CAP PDUs through this guard:
 *
 * - an ATT request whose length its opcode does not allow gets Error Response 0x04 Invalid PDU
 *   (Vol 3 Part F 3.4.1.1) and never reaches bleno; one that makes bleno throw gets 0x0E Unlikely Error;
 * - an SMP command with a wrong length gets Pairing Failed 0x0A Invalid Parameters, one a peripheral does
 *   not take 0x07 Command Not Supported, one out of sequence 0x08 Unspecified Reason (Vol 3 Part H 3.5.5).
 *
 * ACL fragments are held until the L2CAP PDU is complete (the host reassembles them anyway), then
 * passed on unchanged.
 */
import { H4 } from '../hci/constants.js';

const ATT_CID = 0x0004;
const SMP_CID = 0x0006;
const SMP_PAIRING_FAILED = 0x05;
export const SMP_COMMAND_NOT_SUPPORTED = 0x07;
export const SMP_UNSPECIFIED_REASON = 0x08;
export const SMP_INVALID_PARAMETERS = 0x0a;
/** Where a legacy pairing stands at the responder (bleno): what it may receive next. */
type SmpPhase = 'idle' | 'requested' | 'confirmed';
const ATT_ERROR_RSP = 0x01;
export const ATT_INVALID_PDU = 0x04;
export const ATT_ATTRIBUTE_NOT_FOUND = 0x0a;
export const ATT_UNLIKELY_ERROR = 0x0e;

/** Allowed lengths of requests and commands a server receives (opcode octet included). */
function lengthOk(opcode: number, n: number): boolean {
  switch (opcode) {
    case 0x02: // Exchange MTU Request
    case 0x0a: // Read Request
      return n === 3;
    case 0x04: // Find Information Request
    case 0x0c: // Read Blob Request
      return n === 5;
    case 0x06: // Find By Type Value Request
      return n >= 7;
    case 0x08: // Read By Type Request
    case 0x10: // Read By Group Type Request
      return n === 7 || n === 21;
    case 0x0e: // Read Multiple Request: two handles or more
      return n >= 5 && n % 2 === 1;
    case 0x12: // Write Request
    case 0x52: // Write Command
      return n >= 3;
    case 0x16: // Prepare Write Request
      return n >= 5;
    case 0x18: // Execute Write Request
      return n === 2;
    case 0xd2: // Signed Write Command
      return n >= 15;
    default:
      return true;
  }
}

const isCommand = (opcode: number) => (opcode & 0x40) !== 0;

export interface GuardStats {
  invalidPdu: number;
  unlikelyError: number;
  pairingFailed: number;
}

export class BlenoGuard {
  readonly stats: GuardStats = { invalidPdu: 0, unlikelyError: 0, pairingFailed: 0 };
  private smp = new Map<number, SmpPhase>();
  private pending = new Map<number, { fragments: Buffer[]; have: number; need: number }>();

  /** `reply` sends an H4 ACL packet to the controller on the host's behalf. */
  constructor(private readonly reply: (h4: Buffer) => void) {}

  /** A packet from the controller to bleno: `deliver` hands it (or the held fragments) to bleno. */
  inbound(h4: Buffer, deliver: (h4: Buffer) => void): void {
    if (h4[0] === H4.Event && h4[1] === 0x05 && h4.length >= 6) {
      // Disconnection Complete: the pairing state of that handle ends with it.
      this.smp.delete(h4.readUInt16LE(4));
      this.pending.delete(h4.readUInt16LE(4));
    }
    if (h4[0] !== H4.AclData || h4.length < 5) return deliver(h4);
    const hf = h4.readUInt16LE(1);
    const handle = hf & 0x0fff;
    const pb = (hf >> 12) & 0b11;
    const data = h4.subarray(5);
    if (pb !== 0b01) {
      this.pending.delete(handle);
      if (data.length < 4) return deliver(h4);
      const need = 4 + data.readUInt16LE(0);
      if (data.length >= need)
        return this.complete(handle, [h4], Buffer.from(data.subarray(0, need)), deliver);
      this.pending.set(handle, { fragments: [h4], have: data.length, need });
      return;
    }
    const p = this.pending.get(handle);
    if (!p) return deliver(h4);
    p.fragments.push(h4);
    p.have += data.length;
    if (p.have < p.need) return;
    this.pending.delete(handle);
    const pdu = Buffer.concat(p.fragments.map((f) => f.subarray(5))).subarray(0, p.need);
    this.complete(handle, p.fragments, pdu, deliver);
  }

  private complete(handle: number, fragments: Buffer[], l2cap: Buffer, deliver: (h4: Buffer) => void): void {
    const cid = l2cap.readUInt16LE(2);
    const att = l2cap.subarray(4);
    if (cid === SMP_CID) return this.smpCommand(handle, att, () => fragments.forEach((f) => deliver(f)));
    if (cid !== ATT_CID || att.length === 0) return fragments.forEach((f) => deliver(f));
    const opcode = att[0]!;
    if (!lengthOk(opcode, att.length)) {
      this.stats.invalidPdu++;
      if (!isCommand(opcode)) this.errorResponse(handle, opcode, 0x0000, ATT_INVALID_PDU);
      return;
    }
    if (opcode === 0x06 && att.length === 7) {
      // An empty value matches no attribute; bleno would throw on it.
      this.errorResponse(handle, opcode, att.readUInt16LE(1), ATT_ATTRIBUTE_NOT_FOUND);
      return;
    }
    try {
      for (const f of fragments) deliver(f);
    } catch {
      this.stats.unlikelyError++;
      if (!isCommand(opcode))
        this.errorResponse(handle, opcode, att.length >= 3 ? att.readUInt16LE(1) : 0, ATT_UNLIKELY_ERROR);
    }
  }

  /** Legacy pairing as bleno answers it: Request, then Confirm, then Random; Failed at any time. */
  private smpCommand(handle: number, pdu: Buffer, pass: () => void): void {
    const code = pdu[0];
    const phase = this.smp.get(handle) ?? 'idle';
    const expected: Record<number, { length: number; from?: SmpPhase; to: SmpPhase }> = {
      0x01: { length: 7, to: 'requested' }, // Pairing Request
      0x03: { length: 17, from: 'requested', to: 'confirmed' }, // Pairing Confirm
      0x04: { length: 17, from: 'confirmed', to: 'idle' }, // Pairing Random
      0x05: { length: 2, to: 'idle' }, // Pairing Failed
    };
    const rule = code === undefined ? undefined : expected[code];
    let reason: number | undefined;
    if (!rule) reason = SMP_COMMAND_NOT_SUPPORTED;
    else if (pdu.length !== rule.length) reason = SMP_INVALID_PARAMETERS;
    else if (rule.from && rule.from !== phase) reason = SMP_UNSPECIFIED_REASON;
    if (reason === undefined) {
      this.smp.set(handle, rule!.to);
      return pass();
    }
    this.smp.set(handle, 'idle');
    this.stats.pairingFailed++;
    this.l2cap(handle, SMP_CID, Buffer.from([SMP_PAIRING_FAILED, reason]));
  }

  private errorResponse(handle: number, requestOpcode: number, attHandle: number, code: number): void {
    const pdu = Buffer.from([ATT_ERROR_RSP, requestOpcode, attHandle & 0xff, attHandle >> 8, code]);
    this.l2cap(handle, ATT_CID, pdu);
  }

  /** One L2CAP PDU in one ACL packet (short enough for any buffer: 9 octets at most here). */
  private l2cap(handle: number, cid: number, pdu: Buffer): void {
    const pkt = Buffer.alloc(9 + pdu.length);
    pkt[0] = H4.AclData;
    pkt.writeUInt16LE(handle | (0b00 << 12), 1);
    pkt.writeUInt16LE(4 + pdu.length, 3);
    pkt.writeUInt16LE(pdu.length, 5);
    pkt.writeUInt16LE(cid, 7);
    pdu.copy(pkt, 9);
    this.reply(pkt);
  }
}
