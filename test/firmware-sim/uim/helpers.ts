/** Shared helpers of the UIM tests: cards from the fixtures, APDUs as hex, seeded randomness. */
import path from 'node:path';
import { loadCardProfile, CARD_FIXTURES_DIR } from '../../../devices/profiles/cards.js';
import type { CardProfile } from '../../../firmware-sim/uim/profile.js';
import type { UimCardOptions } from '../../../firmware-sim/uim/card-os.js';
import { UimCard } from '../../../firmware-sim/uim/card-os.js';
import type { KeyPairDer } from '../../../firmware-sim/uim/keys.js';
import { defaultRsaKeyGenerator } from '../../../firmware-sim/uim/keys.js';

export const USIM = 'usim-seed001';
export const GSM = 'gsm-sim-seed001';

export function fixture(name: string): CardProfile {
  return loadCardProfile(path.join(CARD_FIXTURES_DIR, `${name}.yaml`));
}

/** xorshift32 bytes: deterministic randomness for keys and salts. */
export function seededRandom(seed = 0x2545f491): (n: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 0xff;
    }
    return out;
  };
}

let rsaKey: KeyPairDer | undefined;
/** One RSA-2048 key per test run (OpenSSL's generation is slow and cannot be seeded). */
export const cachedRsa = (): KeyPairDer => (rsaKey ??= defaultRsaKeyGenerator());

/** A powered card made from a fixture (or a profile), deterministic unless told otherwise. */
export function card(profile: string | CardProfile, options: UimCardOptions = {}): UimCard {
  const p = typeof profile === 'string' ? fixture(profile) : profile;
  const c = UimCard.fromProfile(p, { random: seededRandom(), rsaKeyGenerator: cachedRsa, ...options });
  c.powerOn();
  return c;
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
export const bytesOf = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

/** Sends an APDU written as hex (spaces allowed); returns the response as upper-case hex. */
export function tx(c: UimCard, command: string | Uint8Array): string {
  return hexOf(c.transmit(typeof command === 'string' ? bytesOf(command) : command));
}

/** Response data and status word. */
export function txr(c: UimCard, command: string | Uint8Array): { data: Uint8Array; sw: number } {
  const r = c.transmit(typeof command === 'string' ? bytesOf(command) : command);
  return { data: r.slice(0, -2), sw: (r[r.length - 2]! << 8) | r[r.length - 1]! };
}

/** A command whose answer waits (61xx/9Fxx), followed by GET RESPONSE: the data and final SW. */
export function txGet(c: UimCard, command: string | Uint8Array): { data: Uint8Array; sw: number } {
  const first = txr(c, command);
  const sw1 = first.sw >> 8;
  if (sw1 !== 0x61 && sw1 !== 0x9f) return first;
  const cla = c.commandClass === 'gsm' || sw1 === 0x9f ? 'A0' : '00';
  const chunks: Uint8Array[] = [];
  let sw = first.sw;
  while (sw >> 8 === 0x61 || sw >> 8 === 0x9f) {
    const le = (sw & 0xff).toString(16).padStart(2, '0');
    const r = txr(c, `${cla} C0 00 00 ${le}`);
    chunks.push(r.data);
    sw = r.sw;
  }
  return { data: Uint8Array.from(Buffer.concat(chunks)), sw };
}

export const pinBlock = (pin: string): string => hexOf(Buffer.from(pin.padEnd(8, '\u00ff'), 'latin1'));
