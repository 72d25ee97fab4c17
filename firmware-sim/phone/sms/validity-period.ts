/**
 * TP-Validity-Period (3GPP TS 23.040 §9.2.3.12) in its three formats, selected by TP-VPF.
 */
import { OctetReader } from './errors.js';
import { encodeScts, readScts, type Scts } from './scts.js';

export type ValidityPeriod =
  /** One octet: 0–143 → (v+1)×5 min, 144–167 → 12 h + (v−143)×30 min, 168–196 → (v−166) days, 197–255 → (v−192) weeks. */
  | { format: 'relative'; value: number }
  | { format: 'absolute'; time: Scts }
  /** Seven octets (§9.2.3.12.3), kept whole so reserved forms survive a round trip. */
  | { format: 'enhanced'; octets: Uint8Array };

/** TP-VPF bits 4–3 of the first octet. */
export function vpfOf(vp: ValidityPeriod | undefined): number {
  if (vp === undefined) return 0;
  return vp.format === 'enhanced' ? 1 : vp.format === 'relative' ? 2 : 3;
}

export function encodeValidityPeriod(vp: ValidityPeriod): Uint8Array {
  switch (vp.format) {
    case 'relative':
      if (!Number.isInteger(vp.value) || vp.value < 0 || vp.value > 255) {
        throw new RangeError(`relative TP-VP ${vp.value} is not an octet`);
      }
      return Uint8Array.of(vp.value);
    case 'absolute':
      return encodeScts(vp.time);
    case 'enhanced':
      if (vp.octets.length !== 7) throw new RangeError('an enhanced TP-VP has 7 octets');
      return Uint8Array.from(vp.octets);
  }
}

export function readValidityPeriod(r: OctetReader, vpf: number): ValidityPeriod | undefined {
  switch (vpf) {
    case 2:
      return { format: 'relative', value: r.octet('TP-VP') };
    case 3:
      return { format: 'absolute', time: readScts(r, 'TP-VP') };
    case 1:
      return { format: 'enhanced', octets: r.take(7, 'TP-VP') };
    default:
      return undefined;
  }
}

/** Minutes a relative TP-VP octet stands for. */
export function relativeVpMinutes(value: number): number {
  if (value <= 143) return (value + 1) * 5;
  if (value <= 167) return 12 * 60 + (value - 143) * 30;
  if (value <= 196) return (value - 166) * 24 * 60;
  return (value - 192) * 7 * 24 * 60;
}

/** The smallest relative TP-VP octet covering at least `minutes` (capped at 63 weeks). */
export function relativeVpFor(minutes: number): number {
  for (let v = 0; v < 256; v++) if (relativeVpMinutes(v) >= minutes) return v;
  return 255;
}

/**
 * Seconds an enhanced TP-VP stands for, when its functionality indicator says relative (001), relative
 * in seconds (010) or relative semi-octets hh mm ss (011); undefined for none or reserved forms.
 */
export function enhancedVpSeconds(octets: Uint8Array): number | undefined {
  const fi = octets[0] ?? 0;
  // With the extension bit set, the indicator takes a second octet and the value starts one later.
  const at = fi & 0x80 ? 2 : 1;
  const bcd = (b: number): number => (b & 0x0f) * 10 + (b >> 4);
  switch (fi & 0x07) {
    case 1:
      return relativeVpMinutes(octets[at] ?? 0) * 60;
    case 2:
      return octets[at] ?? 0;
    case 3:
      return bcd(octets[at] ?? 0) * 3600 + bcd(octets[at + 1] ?? 0) * 60 + bcd(octets[at + 2] ?? 0);
    default:
      return undefined;
  }
}
