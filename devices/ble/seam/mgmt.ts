/**
 * The part of Linux's Bluetooth management protocol (doc/mgmt-api.txt in BlueZ) that bleno uses: Load
 * Long Term Keys, which it sends on its control socket after pairing so that the kernel can answer the
 * controller's LE Long Term Key Request. Packets: opcode, controller index, parameter length (LE u16 each).
 */
import { addressToString } from '../hci/fields.js';
import type { LongTermKey } from '../controller.js';

export const MGMT_OP_LOAD_LONG_TERM_KEYS = 0x0013;
export const MGMT_EV_CMD_COMPLETE = 0x0001;
export const MGMT_EV_CMD_STATUS = 0x0002;
export const MGMT_STATUS_SUCCESS = 0x00;
export const MGMT_STATUS_UNKNOWN_COMMAND = 0x01;
export const MGMT_STATUS_INVALID_PARAMS = 0x0d;

const LTK_INFO_SIZE = 36;

export type MgmtCommand =
  | { ok: true; opcode: number; index: number; params: Buffer }
  | { ok: false; opcode: number; index: number; status: number };

export function parseMgmtCommand(packet: Buffer): MgmtCommand {
  if (packet.length < 6) return { ok: false, opcode: 0, index: 0xffff, status: MGMT_STATUS_INVALID_PARAMS };
  const opcode = packet.readUInt16LE(0);
  const index = packet.readUInt16LE(2);
  const length = packet.readUInt16LE(4);
  if (packet.length - 6 !== length) return { ok: false, opcode, index, status: MGMT_STATUS_INVALID_PARAMS };
  return { ok: true, opcode, index, params: packet.subarray(6) };
}

/** Decodes Load Long Term Keys parameters; undefined when the count and the length disagree. */
export function parseLoadLongTermKeys(params: Buffer): LongTermKey[] | undefined {
  if (params.length < 2) return undefined;
  const count = params.readUInt16LE(0);
  if (params.length !== 2 + count * LTK_INFO_SIZE) return undefined;
  const keys: LongTermKey[] = [];
  for (let i = 0; i < count; i++) {
    const at = 2 + i * LTK_INFO_SIZE;
    const addrType = params[at + 6]!; // BDADDR_LE_PUBLIC = 1, BDADDR_LE_RANDOM = 2
    keys.push({
      address: addressToString(params.subarray(at, at + 6)),
      addressType: addrType === 2 ? 1 : 0,
      encryptedDiversifier: params.readUInt16LE(at + 10),
      randomNumber: Buffer.from(params.subarray(at + 12, at + 20)),
      longTermKey: Buffer.from(params.subarray(at + 20, at + 36)),
    });
  }
  return keys;
}

export function mgmtEvent(event: number, index: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt16LE(event, 0);
  head.writeUInt16LE(index, 2);
  head.writeUInt16LE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** Parameters of Command Complete / Command Status: the command's opcode and its status. */
export function mgmtStatus(opcode: number, status: number): Buffer {
  const b = Buffer.alloc(3);
  b.writeUInt16LE(opcode, 0);
  b[2] = status;
  return b;
}
