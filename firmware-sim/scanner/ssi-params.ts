/**
 * Zebra SSI parameter numbers the emulated decoder implements, shared with the host driver. Numbers as the
 * Zebra product reference guides print them ("Parameter # 45 (SSI # 2Dh)"); numbers above 0xEF travel as
 * F0/F1/F2 + low byte (see ssi.ts).
 */
import type { Symbology } from './symbology.js';

export const SsiParam = {
  // Symbologies (enable 1 / disable 0).
  CODE_39: 0x00,
  UPC_A: 0x01,
  UPC_E: 0x02,
  EAN_13: 0x03,
  EAN_8: 0x04,
  I2OF5: 0x06,
  CODABAR: 0x07,
  CODE_128: 0x08,
  CODE_93: 0x09,
  GS1_128: 0x0e,
  PDF417: 0x0f,
  DATA_MATRIX: 292,
  QR_CODE: 293,
  GS1_DATABAR: 338,
  GS1_DATABAR_EXPANDED: 340,
  AZTEC: 574,
  // User preferences.
  /** Beep After Good Decode: 0 no beep, 1 beep. */
  BEEP_AFTER_GOOD_DECODE: 0x38,
  /** Transmit Code ID Character: 0 none, 1 AIM Code ID, 2 Symbol Code ID. */
  TRANSMIT_CODE_ID: 0x2d,
  /** Suffix 1 / Prefix / Suffix 2 key category (1 = ordinary character). */
  SUFFIX_1_CATEGORY: 0x62,
  PREFIX_CATEGORY: 0x63,
  SUFFIX_2_CATEGORY: 0x64,
  /** Suffix 1 / Prefix / Suffix 2 character value (decimal ASCII, e.g. 13 = CR). */
  SUFFIX_1_VALUE: 0x68,
  PREFIX_VALUE: 0x69,
  SUFFIX_2_VALUE: 0x6a,
  /** Decode Session Timeout, 0.5–9.9 s in 100 ms units. */
  DECODE_SESSION_TIMEOUT: 0x88,
  /** Trigger Mode: 0 standard (level), 7 presentation, 8 host, 9 auto aim. */
  TRIGGER_MODE: 0x8a,
  /** Beeper Volume: 0 high, 1 medium, 2 low. */
  BEEPER_VOLUME: 0x8c,
  /** Beeper Tone: 0 high, 1 medium, 2 low, 3 off, 4 medium-to-high. */
  BEEPER_TONE: 0x91,
  /** Host Serial Response Time-out, 100 ms units (20 = 2 s, "low"). */
  HOST_SERIAL_RESPONSE_TIMEOUT: 0x9b,
  /** Software Handshaking: 1 ACK/NAK enabled, 0 disabled. */
  SOFTWARE_HANDSHAKING: 0x9f,
  /** Scan Data Transmission Format: 0 data as is … 7 prefix, data, suffix 1, suffix 2. */
  SCAN_DATA_TRANSMISSION_FORMAT: 0xeb,
  /** Decode Data Packet Format: 0 raw (unpacketed) data, 1 packeted DECODE_DATA. */
  DECODE_DATA_PACKET_FORMAT: 0xee,
  /** Host Character Time-out, 10 ms units: an unfinished host packet is dropped after this silence. */
  HOST_CHARACTER_TIMEOUT: 0xef,
} as const;

export const SsiTriggerMode = { LEVEL: 0, PRESENTATION: 7, HOST: 8, AUTO_AIM: 9 } as const;
export const SsiCodeIdMode = { NONE: 0, AIM: 1, SYMBOL: 2 } as const;

/** The enable parameter of each symbology (GS1 variants share the parameter of their symbology). */
export const SSI_SYMBOLOGY_PARAM: Readonly<Record<Symbology, number>> = {
  ean13: SsiParam.EAN_13,
  ean8: SsiParam.EAN_8,
  upca: SsiParam.UPC_A,
  upce: SsiParam.UPC_E,
  code128: SsiParam.CODE_128,
  'gs1-128': SsiParam.GS1_128,
  code39: SsiParam.CODE_39,
  code93: SsiParam.CODE_93,
  codabar: SsiParam.CODABAR,
  itf: SsiParam.I2OF5,
  databar: SsiParam.GS1_DATABAR,
  'databar-expanded': SsiParam.GS1_DATABAR_EXPANDED,
  qr: SsiParam.QR_CODE,
  'gs1-qr': SsiParam.QR_CODE,
  datamatrix: SsiParam.DATA_MATRIX,
  'gs1-datamatrix': SsiParam.DATA_MATRIX,
  pdf417: SsiParam.PDF417,
  aztec: SsiParam.AZTEC,
};

export interface SsiParamSpec {
  default: number;
  valid: (value: number) => boolean;
}

const range = (min: number, max: number, def: number): SsiParamSpec => ({
  default: def,
  valid: (v) => v >= min && v <= max,
});
const oneOf = (values: readonly number[], def: number): SsiParamSpec => ({
  default: def,
  valid: (v) => values.includes(v),
});

/** Built-in table with the factory defaults of the DS4308 guide; a profile overrides them. */
export function ssiParamTable(): Map<number, SsiParamSpec> {
  const t = new Map<number, SsiParamSpec>([
    [SsiParam.BEEP_AFTER_GOOD_DECODE, range(0, 1, 1)],
    [SsiParam.TRANSMIT_CODE_ID, range(0, 2, 0)],
    [SsiParam.SUFFIX_1_CATEGORY, range(0, 9, 1)],
    [SsiParam.PREFIX_CATEGORY, range(0, 9, 1)],
    [SsiParam.SUFFIX_2_CATEGORY, range(0, 9, 1)],
    [SsiParam.SUFFIX_1_VALUE, range(0, 255, 13)],
    [SsiParam.PREFIX_VALUE, range(0, 255, 0)],
    [SsiParam.SUFFIX_2_VALUE, range(0, 255, 10)],
    [SsiParam.DECODE_SESSION_TIMEOUT, range(5, 99, 99)],
    [SsiParam.TRIGGER_MODE, oneOf([0, 7, 8, 9], 0)],
    [SsiParam.BEEPER_VOLUME, range(0, 2, 0)],
    [SsiParam.BEEPER_TONE, range(0, 4, 1)],
    [SsiParam.HOST_SERIAL_RESPONSE_TIMEOUT, range(2, 99, 20)],
    [SsiParam.SOFTWARE_HANDSHAKING, range(0, 1, 1)],
    [SsiParam.SCAN_DATA_TRANSMISSION_FORMAT, range(0, 7, 0)],
    [SsiParam.DECODE_DATA_PACKET_FORMAT, range(0, 1, 0)],
    [SsiParam.HOST_CHARACTER_TIMEOUT, range(1, 99, 20)],
  ]);
  for (const p of new Set(Object.values(SSI_SYMBOLOGY_PARAM))) t.set(p, range(0, 1, 0));
  return t;
}
