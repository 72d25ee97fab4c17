export { EmulatedSerialPort } from './port.js';
export type {
  EmulatedSerialPortEvents,
  EmulatedSerialPortOptions,
  SerialCaptureRecord,
  SerialCaptureSink,
  SerialDirection,
  SerialPortStats,
} from './port.js';
export {
  DEFAULT_LINE_SETTINGS,
  bitsPerCharacter,
  characterTimeMs,
  formatLineSettings,
  parseLineSettings,
  validateLineSettings,
} from './line.js';
export type {
  DataBits,
  LineSettings,
  LineSettingsResult,
  Parity,
  ParseLineSettingsOptions,
  StopBits,
} from './line.js';
export { FaultInjector, mulberry32, validateFaults } from './faults.js';
export type { DirectionFaults, DirectionStats, FaultSettings } from './faults.js';
export { openPty, writeMaster } from './pty.js';
export type { PtyPair } from './pty.js';
