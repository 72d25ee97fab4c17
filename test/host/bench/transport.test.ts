import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTransport, parseTransport, TransportError } from '../../../host/bench/transport.js';

describe('transport strings', () => {
  it('parses the forms of DESIGN.md', () => {
    expect(parseTransport('serial:/dev/ttyACM0?baud=9600')).toEqual({
      scheme: 'serial',
      path: '/dev/ttyACM0',
      options: { baud: '9600' },
    });
    expect(parseTransport('emu:scanner/honeywell-1900?mode=hid-pos')).toEqual({
      scheme: 'emu',
      kind: 'scanner',
      profile: 'honeywell-1900',
      options: { mode: 'hid-pos' },
    });
    expect(parseTransport('hid:0c2e:0b61')).toEqual({ scheme: 'hid', address: '0c2e:0b61', options: {} });
    expect(parseTransport('ble:usb:0a12:0001')).toEqual({
      scheme: 'ble',
      address: 'usb:0a12:0001',
      options: {},
    });
    expect(parseTransport('pcsc:Virtual PCD 00 00')).toMatchObject({ address: 'Virtual PCD 00 00' });
  });

  it('says what was expected', () => {
    expect(() => parseTransport('tty:/dev/x')).toThrow(/expected one of serial:, emu:/);
    expect(() => parseTransport('serial:ttyACM0')).toThrow(/absolute device path/);
    expect(() => parseTransport('emu:scanner')).toThrow(/emu:<kind>\/<profile>/);
    expect(() => parseTransport('emu:scanner/x?mode=%zz')).toThrow(/percent-encoded/);
  });

  it('round-trips through formatTransport', () => {
    const key = fc.stringMatching(/^[A-Za-z][\w-]{0,8}$/);
    fc.assert(
      fc.property(
        fc.stringMatching(/^\/[\w/.-]{1,20}$/),
        fc.dictionary(key, fc.string({ maxLength: 12 })),
        (p, options) => {
          const t = { scheme: 'serial' as const, path: p, options };
          expect(parseTransport(formatTransport(t))).toEqual(t);
        },
      ),
    );
  });

  it('never throws anything but a TransportError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseTransport(s);
        } catch (err) {
          expect(err).toBeInstanceOf(TransportError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
