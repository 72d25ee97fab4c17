export {
  DEFAULT_MAX_RECONNECT_MS,
  DEFAULT_RECONNECT_MS,
  VPCD_MAX_SLOTS,
  VpcdBridge,
  portForReaderName,
  readerNameForPort,
} from './vpcd.js';
export type { VpcdBridgeEvents, VpcdBridgeOptions } from './vpcd.js';
export {
  VPCD_DEFAULT_PORT,
  VPCD_MAX_PAYLOAD,
  VpcdControl,
  VpcdDecoder,
  encodeVpcdMessage,
} from './vpcd-framing.js';
export type { VpcdControlCode, VpcdDecodeResult, VpcdMessage } from './vpcd-framing.js';
