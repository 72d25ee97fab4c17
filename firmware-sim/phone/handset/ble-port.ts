/**
 * What a phone application sees of the phone's Bluetooth LE payment service (FLOWS seed 001 steps 2, 8,
 * 12; docs/BLE.md): it offers the authenticated user's id, tells the POS which transaction the gateway put
 * before the user, and hears how the POS says it ended. The firmware knows only this interface; the
 * device shell (`devices/ble/phone-ble-port.ts`) implements it over the GATT server.
 */

/** The transaction the phone tells the POS about (the TransactionNotification characteristic). */
export interface BleTransaction {
  transactionId: string;
  /** Total in minor units of `currency`. */
  amountMinor: number;
  /** ISO 4217 alphabetic code. */
  currency: string;
}

/** What the POS wrote to the Confirmation characteristic. */
export interface BleConfirmation {
  result: 'Agreed' | 'Declined' | 'Aborted';
  transactionId: string;
}

export interface PhoneBlePort {
  /** The user id offered from now on (undefined: none, reads get "no authenticated user"). */
  setUserId(userId: string | undefined): void;
  /** Notifies a subscribed POS; false when none is subscribed (nothing sent). */
  notifyTransaction(transaction: BleTransaction): boolean;
  /** Calls `listener` for each Confirmation the POS writes; returns the unsubscribe function. */
  onConfirmation(listener: (confirmation: BleConfirmation) => void): () => void;
}
