/** UnifiedPOS Scanner device control for serial scanners (Honeywell serial commands, Zebra SSI, plain). */
export { Scanner } from './scanner.js';
export type {
  ScannerCommandSetName,
  ScannerConfigureOptions,
  ScannerEvents,
  ScannerOptions,
} from './scanner.js';
export {
  DataEvent,
  ErrorEvent,
  ErrorLocus,
  ErrorResponse,
  ExtendedFailure,
  FOREVER,
  PowerNotify,
  PowerReporting,
  PowerState,
  ScanDataType,
  StatusUpdate,
  StatusUpdateEvent,
  UposError,
  UposException,
  UposState,
  uposErrorName,
} from './upos.js';
export type {
  ErrorLocusValue,
  ErrorResponseValue,
  PowerNotifyValue,
  PowerStateValue,
  UposErrorCode,
  UposStateValue,
} from './upos.js';
export { SerialFramer, labelStart, startsWithAimId } from './framing.js';
export type { FrameStartPredicate, SerialFramerOptions } from './framing.js';
export { decodeSerialLabel, decodeSsiLabel } from './label.js';
export type { DecodedLabel, SymbologyIdMode } from './label.js';
export { SsiLink } from './ssi-link.js';
export { HoneywellLink, honeywellConfiguration } from './honeywell-link.js';
export type { LinkContext, ScannerLink } from './link.js';
