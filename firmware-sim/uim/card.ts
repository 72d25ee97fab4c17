/**
 * What any smart card offers its reader: contacts powered or not, an Answer To Reset, and command APDUs
 * answered by response APDUs (data + SW1 SW2). The emulated UIM implements it; the vpcd bridge, the
 * phone's AT+CSIM and in-process tests all talk to a card through it.
 */
export interface SmartCard {
  /** Cold reset: power on the contacts; returns the ATR. */
  powerOn(): Uint8Array;
  /** Contacts off: volatile state (current file, verified PINs) is lost. */
  powerOff(): void;
  /** Warm reset while powered; returns the ATR. */
  reset(): Uint8Array;
  /** The ATR the card answers with (also while powered off, for readers that ask). */
  readonly atr: Uint8Array;
  readonly powered: boolean;
  /**
   * One command APDU (ISO 7816-3/-4 short or extended form, as a reader's T=0/T=1 layer delivers it) and its
   * response APDU. Never throws: malformed commands get the status word a real card gives.
   */
  transmit(command: Uint8Array): Uint8Array;
  /**
   * Optional: lets a card do the slow part of a command (a key derivation) ahead, off the caller's thread,
   * before the command is sent with transmit(). The answer is the same with or without it.
   */
  prepare?(command: Uint8Array): Promise<void>;
}
