/**
 * What a card is personalised from. The type lives in firmware-sim; concrete cards are YAML files in
 * fixtures/cards/, loaded and validated by devices/profiles/cards.ts.
 */
import type { CommandClass, KeyAlgorithm } from './state.js';

export interface PhonebookEntry {
  name: string;
  /** Digits, optional leading '+', and * # p ? (see codecs.ts). */
  number: string;
}

export interface PaymentUserProfile {
  /** The user id the gateway issued for one credit card (seed 001: 00001). */
  userId: string;
  /** The password, only used to compute the card's PBKDF2 verifier at personalisation. */
  password: string;
  /** What the phone lists on its card-choice screen, e.g. "Card A ****4234" (max 16 GSM characters). */
  label: string;
}

export interface PaymentProfile {
  /** Device id the provider registered for the phone (seed 001: 1234567). */
  deviceId: string;
  /** Payment gateway URL. */
  gatewayUrl: string;
  users: PaymentUserProfile[];
  /** Attempts before the payment password blocks (default 5). */
  passwordTries?: number;
  /** PBKDF2-HMAC-SHA-256 iterations of the verifiers (default 10000). */
  pbkdf2Iterations?: number;
  /** 32-byte HMAC key shared with the gateway, hex; authenticates the card's authentication results. */
  authKey?: string;
}

export interface CertificateProfile {
  /** Certificate password (4–8 digits), key reference 90. */
  password: string;
  /** Its unblocking code (8 digits); without one a blocked certificate password stays blocked. */
  unblock?: string;
  /** Attempts before it blocks (default 3). */
  tries?: number;
  /** Key pairs to generate at personalisation (otherwise the slots start empty). */
  keys?: { ref: 1 | 2; algorithm: KeyAlgorithm }[];
}

export interface CardProfile {
  name: string;
  description?: string;
  commandClass: CommandClass;
  /** UICC only: also answer CLA A0 (GSM) commands. */
  gsmCompatible?: boolean;
  /** Answer To Reset, hex. */
  atr: string;
  iccid: string;
  imsi: string;
  /** Digits of the MNC in the IMSI (EF_AD byte 4), 2 or 3. */
  mncLength: 2 | 3;
  msisdn?: PhonebookEntry;
  spn: { name: string; displayCondition?: number };
  /** SMS service-centre address for EF_SMSP. */
  smsc?: string;
  pin1: string;
  puk1: string;
  pin2: string;
  puk2: string;
  /** Administrative code (key reference 0A), 8 digits. */
  adm?: string;
  /** PIN1 enabled (default true). */
  pin1Enabled?: boolean;
  /** USIM application identifier, hex (uicc). */
  usimAid?: string;
  phonebook?: PhonebookEntry[];
  /** Records in EF_ADN (default 20). */
  adnRecords?: number;
  /** Records in EF_SMS (default 10). */
  smsRecords?: number;
  payment?: PaymentProfile;
  certificate?: CertificateProfile;
}
