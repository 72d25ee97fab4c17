/** Bluetooth LE twin: virtual controller, air, seam, captures, H4 export, payment service, phone GATT. See docs/BLE.md. */
export { Air, Link, DEFAULT_RADIO_MODEL } from './air.js';
export type {
  AirFaults,
  AirOptions,
  AirRadio,
  ConnectionParameters,
  LlPdu,
  Position,
  RadioModel,
} from './air.js';
export { VirtualController } from './controller.js';
export type {
  ControllerStats,
  HostChannel,
  LongTermKey,
  TraceDirection,
  TraceRecord,
  VirtualControllerOptions,
} from './controller.js';
export { HciCapture } from './capture.js';
export type { HciCaptureOptions } from './capture.js';
export { H4Deframer, exportH4OverPty, exportH4OverTcp } from './h4-export.js';
export type { H4Export } from './h4-export.js';
export { createNoble, installHciSocketSeam, loadBleno } from './seam/install.js';
export type { Bleno, Noble } from './seam/install.js';
export {
  FIRST_VIRTUAL_DEV_ID,
  parseBleTransport,
  registerVirtualController,
  registeredVirtualControllers,
  unregisterVirtualController,
  virtualControllerById,
  virtualDevId,
} from './seam/registry.js';
export type { HciTarget } from './seam/registry.js';
export { BluetoothHciSocket, withHciTarget } from './seam/socket.js';
export { BlenoGuard } from './seam/bleno-guard.js';
export { PhoneGatt } from './phone-gatt.js';
export type { PhoneGattEvents, PhoneGattOptions } from './phone-gatt.js';
export { startPhoneBle } from './phone-ble.js';
export type { PhoneBle, PhoneBleOptions } from './phone-ble.js';
export { H4TcpClient } from './seam/h4-remote.js';
export * from './payment-service.js';
