/**
 * HCI command parameter blocks (Vol 4 Part E, 7) for the commands the LE hosts here send, decoded into
 * typed commands. A command the table does not know gets Unknown HCI Command (0x01); one whose
 * parameter length does not match its layout gets Invalid HCI Command Parameters (0x12).
 */
import { HciStatus, Opcode, type OpcodeName } from './constants.js';
import { layoutSize, readLayout, writeLayout, type Layout, type Struct } from './fields.js';

const u8 = 'u8' as const;
const u16 = 'u16' as const;
const addr = 'addr' as const;
const bytes = (n: number) => ({ bytes: n }) as const;

export const COMMAND_LAYOUTS = {
  Disconnect: [
    ['connectionHandle', u16],
    ['reason', u8],
  ],
  SetEventMask: [['eventMask', bytes(8)]],
  Reset: [],
  ReadLeHostSupport: [],
  WriteLeHostSupport: [
    ['leSupportedHost', u8],
    ['unused', u8],
  ],
  ReadLocalVersionInformation: [],
  ReadLocalSupportedCommands: [],
  ReadLocalSupportedFeatures: [],
  ReadBufferSize: [],
  ReadBdAddr: [],
  ReadRssi: [['handle', u16]],
  LeSetEventMask: [['leEventMask', bytes(8)]],
  LeReadBufferSize: [],
  LeReadLocalSupportedFeatures: [],
  LeSetRandomAddress: [['randomAddress', addr]],
  LeSetAdvertisingParameters: [
    ['advertisingIntervalMin', u16],
    ['advertisingIntervalMax', u16],
    ['advertisingType', u8],
    ['ownAddressType', u8],
    ['peerAddressType', u8],
    ['peerAddress', addr],
    ['advertisingChannelMap', u8],
    ['advertisingFilterPolicy', u8],
  ],
  LeReadAdvertisingPhysicalChannelTxPower: [],
  LeSetAdvertisingData: [
    ['advertisingDataLength', u8],
    ['advertisingData', bytes(31)],
  ],
  LeSetScanResponseData: [
    ['scanResponseDataLength', u8],
    ['scanResponseData', bytes(31)],
  ],
  LeSetAdvertisingEnable: [['advertisingEnable', u8]],
  LeSetScanParameters: [
    ['leScanType', u8],
    ['leScanInterval', u16],
    ['leScanWindow', u16],
    ['ownAddressType', u8],
    ['scanningFilterPolicy', u8],
  ],
  LeSetScanEnable: [
    ['leScanEnable', u8],
    ['filterDuplicates', u8],
  ],
  LeCreateConnection: [
    ['leScanInterval', u16],
    ['leScanWindow', u16],
    ['initiatorFilterPolicy', u8],
    ['peerAddressType', u8],
    ['peerAddress', addr],
    ['ownAddressType', u8],
    ['connectionIntervalMin', u16],
    ['connectionIntervalMax', u16],
    ['maxLatency', u16],
    ['supervisionTimeout', u16],
    ['minCeLength', u16],
    ['maxCeLength', u16],
  ],
  LeCreateConnectionCancel: [],
  LeConnectionUpdate: [
    ['connectionHandle', u16],
    ['connectionIntervalMin', u16],
    ['connectionIntervalMax', u16],
    ['maxLatency', u16],
    ['supervisionTimeout', u16],
    ['minCeLength', u16],
    ['maxCeLength', u16],
  ],
  LeEncrypt: [
    ['key', bytes(16)],
    ['plaintextData', bytes(16)],
  ],
  LeRand: [],
  LeEnableEncryption: [
    ['connectionHandle', u16],
    ['randomNumber', bytes(8)],
    ['encryptedDiversifier', u16],
    ['longTermKey', bytes(16)],
  ],
  LeLongTermKeyRequestReply: [
    ['connectionHandle', u16],
    ['longTermKey', bytes(16)],
  ],
  LeLongTermKeyRequestNegativeReply: [['connectionHandle', u16]],
  LeReadSupportedStates: [],
  LeSetDefaultPhy: [
    ['allPhys', u8],
    ['txPhys', u8],
    ['rxPhys', u8],
  ],
} as const satisfies Record<OpcodeName, Layout>;

type Layouts = typeof COMMAND_LAYOUTS;
/** A decoded command: its specification name plus its parameters. */
export type HciCommand = { [N in OpcodeName]: { name: N } & Struct<Layouts[N]> }[OpcodeName];
export type CommandOf<N extends OpcodeName> = Extract<HciCommand, { name: N }>;

const NAME_BY_OPCODE = new Map<number, OpcodeName>(
  Object.entries(Opcode).map(([name, op]) => [op, name as OpcodeName]),
);

export function opcodeName(op: number): OpcodeName | undefined {
  return NAME_BY_OPCODE.get(op);
}

export type CommandDecodeResult =
  { ok: true; command: HciCommand } | { ok: false; status: number; opcode: number; reason: string };

/** Decodes the parameters of one command packet; never throws. */
export function decodeCommand(op: number, params: Buffer): CommandDecodeResult {
  const name = NAME_BY_OPCODE.get(op);
  if (!name) {
    return {
      ok: false,
      status: HciStatus.UnknownHciCommand,
      opcode: op,
      reason: `unknown opcode 0x${hex16(op)}`,
    };
  }
  const layout: Layout = COMMAND_LAYOUTS[name];
  const size = layoutSize(layout);
  if (params.length !== size) {
    return {
      ok: false,
      status: HciStatus.InvalidHciCommandParameters,
      opcode: op,
      reason: `${name}: expected ${size} parameter octets, got ${params.length}`,
    };
  }
  return { ok: true, command: { name, ...readLayout(layout, params) } as HciCommand };
}

/** Encodes a command as its parameter block (without the packet header). */
export function encodeCommandParameters(command: HciCommand): { opcode: number; params: Buffer } {
  const { name, ...rest } = command;
  const layout = COMMAND_LAYOUTS[name] as Layout;
  return { opcode: Opcode[name], params: writeLayout(layout, rest as Struct<Layout>) };
}

export function hex16(n: number): string {
  return n.toString(16).padStart(4, '0');
}
