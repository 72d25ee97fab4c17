/**
 * HCI numbers from the Core Specification (Vol 4 Part A for the H4 packet indicators, Vol 4 Part E for
 * opcodes, events and Vol 1 Part F for error codes), named as the specification names them.
 */

/** H4 packet indicators (Vol 4 Part A, 2). */
export const H4 = { Command: 0x01, AclData: 0x02, SyncData: 0x03, Event: 0x04, IsoData: 0x05 } as const;

/** Opcode = OGF << 10 | OCF. */
export const opcode = (ogf: number, ocf: number): number => ((ogf & 0x3f) << 10) | (ocf & 0x3ff);

export const Opcode = {
  Disconnect: 0x0406,
  SetEventMask: 0x0c01,
  Reset: 0x0c03,
  ReadLeHostSupport: 0x0c6c,
  WriteLeHostSupport: 0x0c6d,
  ReadLocalVersionInformation: 0x1001,
  ReadLocalSupportedCommands: 0x1002,
  ReadLocalSupportedFeatures: 0x1003,
  ReadBufferSize: 0x1005,
  ReadBdAddr: 0x1009,
  ReadRssi: 0x1405,
  LeSetEventMask: 0x2001,
  LeReadBufferSize: 0x2002,
  LeReadLocalSupportedFeatures: 0x2003,
  LeSetRandomAddress: 0x2005,
  LeSetAdvertisingParameters: 0x2006,
  LeReadAdvertisingPhysicalChannelTxPower: 0x2007,
  LeSetAdvertisingData: 0x2008,
  LeSetScanResponseData: 0x2009,
  LeSetAdvertisingEnable: 0x200a,
  LeSetScanParameters: 0x200b,
  LeSetScanEnable: 0x200c,
  LeCreateConnection: 0x200d,
  LeCreateConnectionCancel: 0x200e,
  LeConnectionUpdate: 0x2013,
  LeEncrypt: 0x2017,
  LeRand: 0x2018,
  LeEnableEncryption: 0x2019,
  LeLongTermKeyRequestReply: 0x201a,
  LeLongTermKeyRequestNegativeReply: 0x201b,
  LeReadSupportedStates: 0x201c,
  LeSetDefaultPhy: 0x2031,
} as const;
export type OpcodeName = keyof typeof Opcode;

export const EventCode = {
  DisconnectionComplete: 0x05,
  EncryptionChange: 0x08,
  CommandComplete: 0x0e,
  CommandStatus: 0x0f,
  HardwareError: 0x10,
  NumberOfCompletedPackets: 0x13,
  DataBufferOverflow: 0x1a,
  EncryptionKeyRefreshComplete: 0x30,
  LeMeta: 0x3e,
} as const;

export const LeSubevent = {
  ConnectionComplete: 0x01,
  AdvertisingReport: 0x02,
  ConnectionUpdateComplete: 0x03,
  LongTermKeyRequest: 0x05,
} as const;

/** Controller error codes (Vol 1 Part F, 1.3). */
export const HciStatus = {
  Success: 0x00,
  UnknownHciCommand: 0x01,
  UnknownConnectionIdentifier: 0x02,
  HardwareFailure: 0x03,
  PinOrKeyMissing: 0x06,
  MemoryCapacityExceeded: 0x07,
  ConnectionTimeout: 0x08,
  ConnectionAlreadyExists: 0x0b,
  CommandDisallowed: 0x0c,
  InvalidHciCommandParameters: 0x12,
  RemoteUserTerminatedConnection: 0x13,
  ConnectionTerminatedByLocalHost: 0x16,
  UnsupportedRemoteFeature: 0x1a,
  UnspecifiedError: 0x1f,
  ConnectionTerminatedDueToMicFailure: 0x3d,
  ConnectionFailedToBeEstablished: 0x3e,
} as const;

/** Advertising event types in LE Set Advertising Parameters (Vol 4 Part E, 7.8.5). */
export const AdvertisingType = {
  AdvInd: 0x00,
  AdvDirectIndHigh: 0x01,
  AdvScanInd: 0x02,
  AdvNonconnInd: 0x03,
} as const;
/** Event types in LE Advertising Report (Vol 4 Part E, 7.7.65.2). */
export const ReportEventType = {
  AdvInd: 0x00,
  AdvDirectInd: 0x01,
  AdvScanInd: 0x02,
  AdvNonconnInd: 0x03,
  ScanRsp: 0x04,
} as const;

/** Packet_Boundary_Flag of ACL packets (Vol 4 Part E, 5.4.2). */
export const PacketBoundary = { FirstNonFlushable: 0b00, Continuing: 0b01, FirstFlushable: 0b10 } as const;
