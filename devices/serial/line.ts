/**
 * Asynchronous serial line settings (the UART frame: start bit, data bits, optional parity, stop bits)
 * and the character time they imply, used to pace an emulated port like a real one.
 */
export type DataBits = 5 | 6 | 7 | 8;
export type Parity = 'none' | 'even' | 'odd' | 'mark' | 'space';
export type StopBits = 1 | 1.5 | 2;

export interface LineSettings {
  baudRate: number;
  dataBits: DataBits;
  parity: Parity;
  stopBits: StopBits;
}

export const DEFAULT_LINE_SETTINGS: Readonly<LineSettings> = Object.freeze({
  baudRate: 9600,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
});

/** Bits on the wire per character: 1 start + data + parity (if any) + stop. 8N1 = 10. */
export function bitsPerCharacter(line: LineSettings): number {
  return 1 + line.dataBits + (line.parity === 'none' ? 0 : 1) + line.stopBits;
}

/** Time one character occupies the line, in ms (8N1 at 9600 baud: 1.0417 ms). */
export function characterTimeMs(line: LineSettings): number {
  return (bitsPerCharacter(line) * 1000) / line.baudRate;
}

export type LineSettingsResult = { ok: true; value: LineSettings } | { ok: false; error: string };

const DATA_BITS: readonly DataBits[] = [5, 6, 7, 8];
const PARITIES: readonly Parity[] = ['none', 'even', 'odd', 'mark', 'space'];
const STOP_BITS: readonly StopBits[] = [1, 1.5, 2];
const KEYS = ['baud', 'dataBits', 'parity', 'stopBits'] as const;
/** Above the fastest UARTs in common use; a larger number is a typo, not a line speed. */
const MAX_BAUD = 12_000_000;

export interface ParseLineSettingsOptions {
  /** Ignore keys that are not line settings (when the query also carries other options). Default false. */
  ignoreUnknown?: boolean;
}

/**
 * Parse `baud=9600&dataBits=8&parity=none&stopBits=1` (leading `?` allowed); missing keys take the
 * 8N1 9600 defaults. Never throws: errors name the key and the values it accepts.
 */
export function parseLineSettings(
  query: string | URLSearchParams,
  options: ParseLineSettingsOptions = {},
): LineSettingsResult {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const value: LineSettings = { ...DEFAULT_LINE_SETTINGS };
  const seen = new Set<string>();
  for (const [key, raw] of params) {
    if (!(KEYS as readonly string[]).includes(key)) {
      if (options.ignoreUnknown) continue;
      return fail(`unknown line setting '${key}': expected one of ${KEYS.join(', ')}`);
    }
    if (seen.has(key)) return fail(`line setting '${key}' given more than once`);
    seen.add(key);
    switch (key) {
      case 'baud': {
        const n = /^[0-9]{1,9}$/.test(raw) ? Number(raw) : NaN;
        if (!(n >= 1 && n <= MAX_BAUD)) {
          return fail(`baud: expected an integer from 1 to ${MAX_BAUD} (e.g. 9600), got '${raw}'`);
        }
        value.baudRate = n;
        break;
      }
      case 'dataBits': {
        const n = DATA_BITS.find((d) => String(d) === raw);
        if (n === undefined) return fail(`dataBits: expected one of ${DATA_BITS.join(', ')}, got '${raw}'`);
        value.dataBits = n;
        break;
      }
      case 'parity': {
        const p = PARITIES.find((x) => x === raw);
        if (p === undefined) return fail(`parity: expected one of ${PARITIES.join(', ')}, got '${raw}'`);
        value.parity = p;
        break;
      }
      case 'stopBits': {
        const s = STOP_BITS.find((x) => String(x) === raw);
        if (s === undefined) return fail(`stopBits: expected one of ${STOP_BITS.join(', ')}, got '${raw}'`);
        value.stopBits = s;
        break;
      }
    }
  }
  return { ok: true, value };
}

/** Check settings built in code (bench files, tests) with the same rules as the parser. */
export function validateLineSettings(line: LineSettings): LineSettingsResult {
  return parseLineSettings(
    new URLSearchParams({
      baud: String(line.baudRate),
      dataBits: String(line.dataBits),
      parity: String(line.parity),
      stopBits: String(line.stopBits),
    }),
  );
}

/** The query form of the settings, as used in transport strings. */
export function formatLineSettings(line: LineSettings): string {
  return `baud=${line.baudRate}&dataBits=${line.dataBits}&parity=${line.parity}&stopBits=${line.stopBits}`;
}

function fail(error: string): LineSettingsResult {
  return { ok: false, error };
}
