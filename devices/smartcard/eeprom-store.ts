/**
 * The emulated UIM's EEPROM on disk: one image file per card (firmware-sim/uim/image.ts format), written
 * atomically after every change of non-volatile state, before the card answers the APDU. A damaged image
 * is refused with the file and the reason — never loaded.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { CardState } from '../../firmware-sim/uim/state.js';
import { decodeCardImage, encodeCardImage } from '../../firmware-sim/uim/image.js';
import type { UimCardOptions } from '../../firmware-sim/uim/card-os.js';
import { UimCard } from '../../firmware-sim/uim/card-os.js';
import type { CardProfile } from '../../firmware-sim/uim/profile.js';
import { writeFileAtomic } from '../atomic-file.js';

export class CardImageFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: card image refused: ${reason}`);
    this.name = 'CardImageFileError';
  }
}

/** Reads and checks a card image file; throws CardImageFileError naming the file and the damage. */
export function loadCardImage(file: string): CardState {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new CardImageFileError(
      file,
      `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  const r = decodeCardImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  if (!r.ok) throw new CardImageFileError(file, r.error);
  return r.value;
}

/** Writes a card state as an image file, atomically. */
export function saveCardImage(file: string, state: CardState): void {
  writeFileAtomic(file, encodeCardImage(state));
}

/** A `persist` callback for UimCard that writes each image to `file`. */
export function persistTo(file: string): (image: Uint8Array) => void {
  return (image) => writeFileAtomic(file, image);
}

export type StoredCardOptions = Omit<UimCardOptions, 'persist'>;

/**
 * The card whose EEPROM lives in `file`: loaded from it when it exists (a damaged file is refused, not
 * replaced), else personalised from `profile` and saved there first. Every later change is saved before
 * the card answers.
 */
export function openStoredCard(file: string, profile: CardProfile, options: StoredCardOptions = {}): UimCard {
  const persist = persistTo(file);
  if (existsSync(file)) return new UimCard(loadCardImage(file), { ...options, persist });
  const card = UimCard.fromProfile(profile, { ...options, persist });
  writeFileAtomic(file, card.image());
  return card;
}
