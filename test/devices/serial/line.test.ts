import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_LINE_SETTINGS,
  bitsPerCharacter,
  characterTimeMs,
  formatLineSettings,
  parseLineSettings,
  validateLineSettings,
} from '../../../devices/serial/line.js';

describe('line settings', () => {
  it('defaults to 9600 8N1: 10 bits, 1.0417 ms per character', () => {
    expect(DEFAULT_LINE_SETTINGS).toEqual({ baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 });
    expect(bitsPerCharacter(DEFAULT_LINE_SETTINGS)).toBe(10);
    expect(characterTimeMs(DEFAULT_LINE_SETTINGS)).toBeCloseTo(1.0417, 4);
  });

  it('counts start, data, parity and stop bits', () => {
    expect(bitsPerCharacter({ baudRate: 1200, dataBits: 7, parity: 'even', stopBits: 1 })).toBe(10);
    expect(bitsPerCharacter({ baudRate: 1200, dataBits: 8, parity: 'odd', stopBits: 2 })).toBe(12);
    expect(bitsPerCharacter({ baudRate: 1200, dataBits: 5, parity: 'none', stopBits: 1.5 })).toBe(7.5);
    expect(characterTimeMs({ baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 })).toBeCloseTo(
      0.0868,
      4,
    );
  });

  it('parses a query, with defaults for missing keys', () => {
    expect(parseLineSettings('baud=9600&dataBits=8&parity=none&stopBits=1')).toEqual({
      ok: true,
      value: DEFAULT_LINE_SETTINGS,
    });
    expect(parseLineSettings('?baud=19200&parity=even&dataBits=7')).toEqual({
      ok: true,
      value: { baudRate: 19200, dataBits: 7, parity: 'even', stopBits: 1 },
    });
    expect(parseLineSettings('')).toEqual({ ok: true, value: DEFAULT_LINE_SETTINGS });
    expect(parseLineSettings('stopBits=1.5&dataBits=5')).toMatchObject({
      ok: true,
      value: { stopBits: 1.5 },
    });
  });

  it.each([
    ['baud=fast', /baud: expected an integer/],
    ['baud=0', /baud/],
    ['baud=96OO', /baud/],
    ['dataBits=9', /dataBits: expected one of 5, 6, 7, 8, got '9'/],
    ['parity=EVEN', /parity: expected one of none, even, odd, mark, space/],
    ['stopBits=3', /stopBits: expected one of 1, 1.5, 2/],
    ['buad=9600', /unknown line setting 'buad': expected one of baud, dataBits, parity, stopBits/],
    ['baud=9600&baud=1200', /'baud' given more than once/],
  ])('rejects %s with an error naming the key', (query, message) => {
    const result = parseLineSettings(query);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });

  it('ignores other options when asked to', () => {
    expect(parseLineSettings('mode=hid-pos&baud=1200', { ignoreUnknown: true })).toMatchObject({
      ok: true,
      value: { baudRate: 1200 },
    });
  });

  it('validates settings built in code', () => {
    expect(validateLineSettings({ ...DEFAULT_LINE_SETTINGS, baudRate: -1 }).ok).toBe(false);
    expect(validateLineSettings({ ...DEFAULT_LINE_SETTINGS, baudRate: 57600 }).ok).toBe(true);
  });

  it('never throws on arbitrary input, and always says why it failed', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), queryLike()), (query) => {
        const result = parseLineSettings(query);
        if (!result.ok) expect(result.error.length).toBeGreaterThan(0);
        else expect(validateLineSettings(result.value).ok).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips through its query form', () => {
    fc.assert(
      fc.property(
        fc.record({
          baudRate: fc.integer({ min: 1, max: 12_000_000 }),
          dataBits: fc.constantFrom(5 as const, 6 as const, 7 as const, 8 as const),
          parity: fc.constantFrom(
            'none' as const,
            'even' as const,
            'odd' as const,
            'mark' as const,
            'space' as const,
          ),
          stopBits: fc.constantFrom(1 as const, 1.5 as const, 2 as const),
        }),
        (line) => {
          expect(parseLineSettings(formatLineSettings(line))).toEqual({ ok: true, value: line });
        },
      ),
    );
  });
});

/** Strings that look like queries, so the parser's value checks get exercised, not only unknown keys. */
function queryLike(): fc.Arbitrary<string> {
  const key = fc.constantFrom('baud', 'dataBits', 'parity', 'stopBits', 'x', '');
  const value = fc.oneof(fc.constantFrom('9600', '8', '1.5', 'none', 'odd', '-1', '1e3', ''), fc.string());
  return fc
    .array(fc.tuple(key, value), { maxLength: 5 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
}
