/**
 * User data header (3GPP TS 23.040 §9.2.3.24): a length octet, then information elements IEI, IEDL, data.
 * Concatenation (IEI 00 with an 8-bit reference, 08 with a 16-bit one) and application port addressing
 * (04 8-bit ports, 05 16-bit ports) are typed; every other element is kept as it came.
 */
import { PduError } from './errors.js';

export const IEI = { CONCAT_8: 0x00, PORTS_8: 0x04, PORTS_16: 0x05, CONCAT_16: 0x08 } as const;

export type InformationElement =
  | { kind: 'concat'; referenceBits: 8 | 16; reference: number; total: number; sequence: number }
  | { kind: 'ports'; portBits: 8 | 16; destination: number; source: number }
  | { kind: 'other'; iei: number; data: Uint8Array };

function elementBytes(ie: InformationElement): number[] {
  switch (ie.kind) {
    case 'concat': {
      const { reference: ref, total, sequence } = ie;
      if (total < 1 || total > 255 || sequence < 1 || sequence > 255) {
        throw new RangeError(`concatenation part ${sequence}/${total} out of range`);
      }
      return ie.referenceBits === 8
        ? [IEI.CONCAT_8, 3, ref & 0xff, total, sequence]
        : [IEI.CONCAT_16, 4, (ref >> 8) & 0xff, ref & 0xff, total, sequence];
    }
    case 'ports': {
      const { destination: d, source: s } = ie;
      return ie.portBits === 8
        ? [IEI.PORTS_8, 2, d & 0xff, s & 0xff]
        : [IEI.PORTS_16, 4, (d >> 8) & 0xff, d & 0xff, (s >> 8) & 0xff, s & 0xff];
    }
    case 'other':
      if (ie.data.length > 255) throw new RangeError(`IE ${ie.iei} longer than 255 octets`);
      return [ie.iei & 0xff, ie.data.length, ...ie.data];
  }
}

/** The header with its UDHL octet. */
export function encodeUdh(elements: readonly InformationElement[]): Uint8Array {
  const body = elements.flatMap(elementBytes);
  if (body.length > 139) throw new RangeError(`user data header of ${body.length} octets does not fit`);
  return Uint8Array.from([body.length, ...body]);
}

/** Octets the header takes, UDHL included (0 without a header). */
export function udhLength(elements: readonly InformationElement[]): number {
  return elements.length === 0 ? 0 : 1 + elements.reduce((n, ie) => n + elementBytes(ie).length, 0);
}

/**
 * Elements of a header body (the octets after UDHL). A concatenation or port element with the wrong
 * length, or a part number outside 1…total, is kept as 'other': §9.2.3.24.1 tells the receiver to ignore
 * such an element and treat the message as a single one.
 */
export function parseUdhBody(body: Uint8Array): InformationElement[] {
  const out: InformationElement[] = [];
  let at = 0;
  while (at < body.length) {
    const iei = body[at]!;
    const len = body[at + 1];
    if (len === undefined || at + 2 + len > body.length) {
      throw new PduError(`user data header: IE ${iei} overruns the header`);
    }
    const d = body.subarray(at + 2, at + 2 + len);
    at += 2 + len;
    if (iei === IEI.CONCAT_8 && len === 3 && d[2]! >= 1 && d[2]! <= d[1]!) {
      out.push({ kind: 'concat', referenceBits: 8, reference: d[0]!, total: d[1]!, sequence: d[2]! });
    } else if (iei === IEI.CONCAT_16 && len === 4 && d[3]! >= 1 && d[3]! <= d[2]!) {
      const reference = (d[0]! << 8) | d[1]!;
      out.push({ kind: 'concat', referenceBits: 16, reference, total: d[2]!, sequence: d[3]! });
    } else if (iei === IEI.PORTS_8 && len === 2) {
      out.push({ kind: 'ports', portBits: 8, destination: d[0]!, source: d[1]! });
    } else if (iei === IEI.PORTS_16 && len === 4) {
      const destination = (d[0]! << 8) | d[1]!;
      out.push({ kind: 'ports', portBits: 16, destination, source: (d[2]! << 8) | d[3]! });
    } else {
      out.push({ kind: 'other', iei, data: Uint8Array.from(d) });
    }
  }
  return out;
}

export const concatOf = (elements: readonly InformationElement[] | undefined) =>
  elements?.find((e): e is Extract<InformationElement, { kind: 'concat' }> => e.kind === 'concat');

export const portsOf = (elements: readonly InformationElement[] | undefined) =>
  elements?.find((e): e is Extract<InformationElement, { kind: 'ports' }> => e.kind === 'ports');
