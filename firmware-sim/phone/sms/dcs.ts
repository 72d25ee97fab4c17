/**
 * TP-Data-Coding-Scheme (3GPP TS 23.038 §4). Every octet value parses: reserved alphabets and reserved
 * coding groups are read as the GSM 7-bit default alphabet, as §4 tells a receiving entity to do.
 */

export type SmsAlphabet = 'gsm7' | '8bit' | 'ucs2';
export type MessageClass = 0 | 1 | 2 | 3;
export type WaitingIndication = 'voicemail' | 'fax' | 'email' | 'other';

export interface MessageWaiting {
  /** 1100: discard the message after updating the indicator; 1101/1110: store it. */
  store: boolean;
  active: boolean;
  indication: WaitingIndication;
}

export interface DataCodingScheme {
  /** The raw octet. */
  value: number;
  group: 'general' | 'automatic-deletion' | 'message-waiting' | 'data-coding-class' | 'reserved';
  alphabet: SmsAlphabet;
  compressed: boolean;
  messageClass?: MessageClass;
  messageWaiting?: MessageWaiting;
  /** A reserved group or alphabet was read as GSM 7-bit. */
  reserved: boolean;
}

const ALPHABETS: readonly (SmsAlphabet | undefined)[] = ['gsm7', '8bit', 'ucs2', undefined];
const INDICATIONS: readonly WaitingIndication[] = ['voicemail', 'fax', 'email', 'other'];

export function parseDcs(octet: number): DataCodingScheme {
  const value = octet & 0xff;
  const hi = value >> 4;
  if (hi < 0x8) {
    const alphabet = ALPHABETS[(value >> 2) & 3];
    return {
      value,
      group: hi < 4 ? 'general' : 'automatic-deletion',
      alphabet: alphabet ?? 'gsm7',
      compressed: (value & 0x20) !== 0,
      ...(value & 0x10 ? { messageClass: (value & 3) as MessageClass } : {}),
      reserved: alphabet === undefined,
    };
  }
  if (hi < 0xc) return { value, group: 'reserved', alphabet: 'gsm7', compressed: false, reserved: true };
  if (hi < 0xf) {
    return {
      value,
      group: 'message-waiting',
      alphabet: hi === 0xe ? 'ucs2' : 'gsm7',
      compressed: false,
      messageWaiting: {
        store: hi !== 0xc,
        active: (value & 0x08) !== 0,
        indication: INDICATIONS[value & 3]!,
      },
      reserved: (value & 0x04) !== 0,
    };
  }
  return {
    value,
    group: 'data-coding-class',
    alphabet: value & 0x04 ? '8bit' : 'gsm7',
    compressed: false,
    messageClass: (value & 3) as MessageClass,
    reserved: (value & 0x08) !== 0,
  };
}

/** The general-group octet for an alphabet, with a message class when one is asked for. */
export function dcsFor(alphabet: SmsAlphabet, messageClass?: MessageClass): number {
  const a = alphabet === 'gsm7' ? 0 : alphabet === '8bit' ? 1 : 2;
  return (a << 2) | (messageClass === undefined ? 0 : 0x10 | messageClass);
}
