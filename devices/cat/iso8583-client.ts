/** The `CreditHost` client under the name `firmware-sim/cat/credit-host.ts` gives it; it lives with the link. */
export {
  connectCreditHost,
  CreditHostConnectionError,
  CreditHostRefusedError,
  CreditHostTimeoutError,
  Iso8583Client,
  type ConnectCreditHostOptions,
} from './iso8583-link.js';
