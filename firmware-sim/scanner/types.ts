import type { Symbology } from './symbology.js';

/** What is put in front of the scanner's window. */
export type ScanInput =
  { kind: 'symbol'; symbology: Symbology; text: string } | { kind: 'image'; png: Uint8Array };

/** What the decode engine read from one symbol. */
export interface DecodedSymbol {
  symbology: Symbology;
  /** AIM symbology identifier including modifier, e.g. `]C1`. */
  aim: string;
  /** Transmitted data: for GS1 content, element strings with GS (0x1D) after variable-length fields. */
  data: Uint8Array;
}

/** Decodes one input; undefined is a "no read" (no symbol found, or not decodable). */
export type DecodeFn = (input: ScanInput) => DecodedSymbol | undefined;
