/**
 * What host-side card logic needs from whatever carries its APDUs: PC/SC now (host/drivers/uim/pcsc.ts),
 * the phone's AT+CSIM later. A transport sends one command APDU and returns the response APDU exactly as
 * the card answered it, procedure bytes included: T=0 status words such as 61xx or 6Cxx are the caller's
 * to handle (pcscd does not send GET RESPONSE, nor does AT+CSIM).
 */
export interface ApduTransport {
  transmit(command: Uint8Array): Promise<Uint8Array>;
}

export type CardProtocol = 'T0' | 'T1' | 'RAW' | 'undefined';
/** What happens to the card when a connection ends or is re-established (PC/SC dispositions). */
export type CardDisposition = 'leave' | 'reset' | 'unpower';

/** A connection to a card in a reader. */
export interface CardChannel extends ApduTransport {
  readonly readerName: string;
  /** The Answer To Reset (updated by reset()). */
  readonly atr: Uint8Array;
  /** The transmission protocol in use. */
  readonly protocol: CardProtocol;
  readonly connected: boolean;
  /** Warm ('reset') or cold ('unpower') reset of the card, keeping the connection; returns the new ATR. */
  reset(kind?: 'reset' | 'unpower'): Promise<Uint8Array>;
  /** Ends the connection; the card is left as it is unless `disposition` says otherwise. Idempotent. */
  disconnect(disposition?: CardDisposition): Promise<void>;
}
