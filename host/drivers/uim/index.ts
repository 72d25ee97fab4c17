export {
  PcscError,
  PcscUnavailableError,
  bindingUnavailable,
  connect,
  findReaderWithAtr,
  listReaders,
  loadPcscBinding,
  loggingTransport,
  pcscAvailable,
  toPcscError,
  waitForCard,
  waitForCardRemoval,
} from './pcsc.js';
export type { ConnectOptions, PcscErrorCode, ReaderInfo, ShareMode, WaitOptions } from './pcsc.js';
export type { ApduTransport, CardChannel, CardDisposition, CardProtocol } from './channel.js';
export { ApduProtocolError, buildApdu, transmitT0, withLe } from './t0.js';
export type { ApduResponse, ProcedureOptions } from './t0.js';
export {
  CLA,
  CardStatusError,
  Fid,
  Ins,
  SimReader,
  USIM_AID_PREFIX,
  describeLocation,
} from './sim-reader.js';
export type {
  CommandClass,
  FileInfo,
  FileLocation,
  PhoneBookEntry,
  PinState,
  SimReaderOptions,
  VerifyResult,
} from './sim-reader.js';
export { hasPaymentDf, readPaymentDf } from './payment-df.js';
export type { PaymentDf, PaymentUserEntry } from './payment-df.js';
export { formatCardReport, readCardReport } from './card-report.js';
export type {
  CardReport,
  CardReportOptions,
  ReportChannel,
  ReportField,
  ReportPaymentDf,
  ReportPhoneBookEntry,
  ReportPin,
} from './card-report.js';
