/**
 * A guard in front of bleno's GATT server. bleno 0.6.2 parses ATT requests without checking their length
 * (a 1-octet Read Request throws a RangeError out of its socket handler and takes the process down) and
 * throws on a few well-formed ones (Find By Type Value with an empty value, a short write to a CCCD). A
 * phone twin must answer bad input with the protocol's error instead, and we do not patch bleno, so the
 * seam socket of a bleno copy passes ATT requests through this guard:
 *
 * - a request whose length its opcode does not allow gets Error Response 0x04 Invalid PDU
 *   (Vol 3 Part F 3.4.1.1) and never reaches bleno;
 * - a request that makes bleno throw gets Error Response 0x0E Unlikely Error.
 *
 * ACL fragments are held until the L2CAP PDU is complete (the host reassembles them anyway), then
 * passed on unchanged.
 */
import { H4 } from '../hci/constants.js';

const ATT_CID = 0x0004;
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
}

export class AttGuard {
  readonly stats: GuardStats = { invalidPdu: 0, unlikelyError: 0 };
  private pending = new Map<number, { fragments: Buffer[]; have: number; need: number }>();

  /** `reply` sends an H4 ACL packet to the controller on the host's behalf. */
  constructor(private readonly reply: (h4: Buffer) => void) {}

  /** A packet from the controller to bleno: `deliver` hands it (or the held fragments) to bleno. */
  inbound(h4: Buffer, deliver: (h4: Buffer) => void): void {
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

  private errorResponse(handle: number, requestOpcode: number, attHandle: number, code: number): void {
    const pkt = Buffer.alloc(5 + 4 + 5);
    pkt[0] = H4.AclData;
    pkt.writeUInt16LE(handle | (0b00 << 12), 1);
    pkt.writeUInt16LE(9, 3);
    pkt.writeUInt16LE(5, 5);
    pkt.writeUInt16LE(ATT_CID, 7);
    pkt[9] = ATT_ERROR_RSP;
    pkt[10] = requestOpcode;
    pkt.writeUInt16LE(attHandle, 11);
    pkt[13] = code;
    this.reply(pkt);
  }
}
