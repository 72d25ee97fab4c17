/**
 * Time stamps (3GPP TS 23.040 §9.2.3.11): TP-SCTS, TP-DT and the absolute TP-VP. Seven swapped-BCD
 * octets YY MM DD hh mm ss TZ; TZ counts quarter hours from GMT, bit 3 of its octet is the sign.
 */
import { OctetReader, PduError } from './errors.js';

export interface Scts {
  /** Full year; the two digits on the wire are read as 1990–2089. */
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Offset from GMT in quarter hours, −79…79. */
  timeZone: number;
}

const swapped = (n: number): number => ((n % 10) << 4) | Math.floor(n / 10);

export function encodeScts(t: Scts): Uint8Array {
  const fields = [t.year % 100, t.month, t.day, t.hour, t.minute, t.second];
  for (const f of fields) {
    if (!Number.isInteger(f) || f < 0 || f > 99) throw new RangeError(`time stamp field ${f} is not 0–99`);
  }
  const tz = Math.abs(t.timeZone);
  if (!Number.isInteger(t.timeZone) || tz > 79) throw new RangeError(`time zone ${t.timeZone} is not ±79`);
  return Uint8Array.from([...fields.map(swapped), swapped(tz) | (t.timeZone < 0 ? 0x08 : 0)]);
}

export function readScts(r: OctetReader, field: string): Scts {
  const o = r.take(7, field);
  const digit = (b: number): number => {
    const lo = b & 0x0f;
    const hi = b >> 4;
    if (lo > 9 || hi > 9) throw new PduError(`${field}: octet ${b.toString(16)} is not two BCD digits`);
    return lo * 10 + hi;
  };
  const yy = digit(o[0]!);
  const tzOctet = o[6]!;
  const tzLo = tzOctet & 0x07;
  const tzHi = tzOctet >> 4;
  if (tzHi > 9) throw new PduError(`${field}: time zone octet ${tzOctet.toString(16)} is not BCD`);
  const tz = tzLo * 10 + tzHi;
  return {
    year: yy >= 90 ? 1900 + yy : 2000 + yy,
    month: digit(o[1]!),
    day: digit(o[2]!),
    hour: digit(o[3]!),
    minute: digit(o[4]!),
    second: digit(o[5]!),
    timeZone: tzOctet & 0x08 ? -tz : tz,
  };
}

/** The local time stamp of an instant (ms since the epoch) in a zone of `timeZone` quarter hours. */
export function sctsFromEpoch(ms: number, timeZone = 0): Scts {
  const d = new Date(ms + timeZone * 15 * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    timeZone,
  };
}

/** The instant (ms since the epoch) a time stamp names. */
export function sctsToEpoch(t: Scts): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - t.timeZone * 15 * 60_000;
}
