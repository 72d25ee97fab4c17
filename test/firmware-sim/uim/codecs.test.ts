import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAd,
  decodeAlpha,
  decodeDiallingNumber,
  decodeDirRecord,
  decodeIccid,
  decodeImsi,
  decodePinBlock,
  decodeSpn,
  decodeSst,
  decodeSwappedBcd,
  decodeUst,
  describeStatusWord,
  diallingNumber,
  efSecurityRules,
  encodeAd,
  encodeAlpha,
  encodeDiallingNumber,
  encodeDirRecord,
  encodeFcp,
  encodeGsmDfResponse,
  encodeGsmEfResponse,
  encodeIccid,
  encodeImsi,
  encodePinBlock,
  encodeSpn,
  encodeSst,
  encodeUst,
  gsmRecordCount,
  parseBerTlv,
  parseFcp,
  parseGsmSelectResponse,
  statusWordOf,
  SW,
  sw61,
  sw63C,
  sw6C,
  sw9F,
} from '../../../firmware-sim/uim/codecs.js';
import { bytesOf, hexOf } from './helpers.js';

describe('EF_ICCID and EF_IMSI (known answers from TS 102 221 §13.2, TS 31.102 §4.2.2)', () => {
  it('ICCID 8944200011231044047: nibble-swapped BCD, F padding', () => {
    expect(hexOf(encodeIccid('8944200011231044047'))).toBe('98440200113201444' + '0F7');
    expect(decodeIccid(bytesOf('98440200113201444 0F7'))).toEqual({ ok: true, value: '8944200011231044047' });
    expect(hexOf(encodeIccid('89441000000000000012'))).toBe('98440100000000000021');
  });

  it('IMSI of 15 digits: length 08, parity odd + type IMSI in the first nibble', () => {
    expect(hexOf(encodeImsi('001010123456789'))).toBe('080910101032547698');
    expect(decodeImsi(bytesOf('080910101032547698'))).toEqual({ ok: true, value: '001010123456789' });
  });

  it('IMSI of 14 digits: even parity, F in the last high nibble', () => {
    expect(hexOf(encodeImsi('23415099999999'))).toBe('0821435190999999F9');
    expect(decodeImsi(bytesOf('0821435190999999F9'))).toEqual({ ok: true, value: '23415099999999' });
  });

  it('refuses damaged contents with a reason', () => {
    expect(decodeIccid(bytesOf('984402'))).toMatchObject({ ok: false });
    expect(decodeIccid(bytesOf('9A440200113201444 0F7'))).toMatchObject({ ok: false });
    expect(decodeImsi(bytesOf('FFFFFFFFFFFFFFFFFF'))).toMatchObject({ ok: false, error: /empty/ });
    expect(decodeImsi(bytesOf('080A10101032547698'))).toMatchObject({ ok: false, error: /type/ });
    expect(decodeImsi(bytesOf('080110101032547698'))).toMatchObject({ ok: false, error: /parity/ });
  });
});

describe('dialling numbers (TS 51.011 §10.5.1, TS 31.102 §4.4.2.3)', () => {
  it('encodes an ADN record byte by byte', () => {
    const rec = encodeDiallingNumber(diallingNumber('Home', '+441234567890'), 28);
    // alpha "Home" (GSM default alphabet, FF-padded to 14) | length 07 | TON/NPI 91 | BCD | CCP FF | EXT FF
    expect(hexOf(rec)).toBe(
      '486F6D65' + 'FF'.repeat(10) + '07' + '91' + '442143658709FFFFFFFF' + 'FF' + 'FF',
    );
  });

  it('codes * # and pause in extended BCD, national numbers with TON unknown', () => {
    const rec = encodeDiallingNumber(diallingNumber('', '*100#p1'), 14);
    expect(hexOf(rec)).toBe('05' + '81' + '1A00CBF1FFFFFFFFFFFF' + 'FF' + 'FF');
    expect(decodeDiallingNumber(rec)).toMatchObject({
      ok: true,
      value: { number: '*100#p1', ton: 0, npi: 1 },
    });
  });

  it('an all-FF record is empty', () => {
    expect(decodeDiallingNumber(new Uint8Array(28).fill(0xff))).toEqual({ ok: true, value: null });
  });

  it('alpha identifiers: GSM alphabet with extension table, UCS2 80, 81 and 82 forms', () => {
    expect(hexOf(encodeAlpha('€[', 6))).toBe('1B651B3CFFFF');
    expect(hexOf(encodeAlpha('Zoë', 8))).toBe('80005A006F00EBFF');
    expect(decodeAlpha(bytesOf('80005A006F00EBFF'))).toEqual({ ok: true, value: 'Zoë' });
    // TS 51.011 annex B example forms: 81 count base(b15–b8 << 7) chars; 82 count base16 chars.
    expect(decodeAlpha(bytesOf('81030841 81 82 FF'))).toEqual({ ok: true, value: 'A\u0401\u0402' });
    expect(decodeAlpha(bytesOf('8202040041 81 FF'))).toEqual({ ok: true, value: 'A\u0401' });
  });

  it('round-trips every representable entry', () => {
    const digit = fc.constantFrom(...'0123456789*#p?');
    const entry = fc.record({
      alpha: fc.oneof(fc.stringMatching(/^[A-Za-z0-9 .]{0,14}$/), fc.string({ maxLength: 6 })),
      number: fc
        .tuple(fc.boolean(), fc.array(digit, { maxLength: 20 }))
        .map(([plus, d]) => (plus && d.length ? '+' : '') + d.join('')),
    });
    fc.assert(
      fc.property(entry, (e) => {
        let rec: Uint8Array;
        try {
          rec = encodeDiallingNumber(diallingNumber(e.alpha, e.number), 28);
        } catch {
          return true; // not representable in 14 bytes (long UCS2 text or surrogates)
        }
        const back = decodeDiallingNumber(rec);
        if (!back.ok) return false;
        if (e.alpha === '' && e.number === '') return back.value === null || back.value.number === '';
        return back.value?.alpha === e.alpha && back.value.number === e.number;
      }),
    );
  });
});

describe('EF_SPN, EF_AD, EF_SST, EF_UST, EF_DIR, PIN blocks', () => {
  it('EF_SPN: display condition then 16 bytes of alpha', () => {
    const b = encodeSpn({ displayCondition: 1, name: 'benchtwin' });
    expect(hexOf(b)).toBe('01' + '62656E63687477696E' + 'FF'.repeat(7));
    expect(decodeSpn(b)).toEqual({ ok: true, value: { displayCondition: 1, name: 'benchtwin' } });
  });

  it('EF_AD with a 2-digit MNC', () => {
    expect(hexOf(encodeAd({ operationMode: 0, additionalInfo: 0, mncLength: 2 }))).toBe('00000002');
    expect(decodeAd(bytesOf('80000103'))).toEqual({
      ok: true,
      value: { operationMode: 0x80, additionalInfo: 1, mncLength: 3 },
    });
    expect(decodeAd(bytesOf('0000'))).toMatchObject({ ok: false });
  });

  it('EF_SST: two bits per service (allocated, activated)', () => {
    expect(hexOf(encodeSst([1, 2, 3, 4, 5, 7, 9, 12, 17], 5))).toBe('FF33C30003');
    expect(decodeSst(bytesOf('0102'))).toEqual([
      { service: 1, allocated: true, activated: false },
      { service: 5, allocated: false, activated: true },
    ]);
  });

  it('EF_UST: one bit per service', () => {
    expect(hexOf(encodeUst([2, 10, 12, 19, 21], 8))).toBe('020A140000000000');
    expect(decodeUst(bytesOf('020A14'))).toEqual([2, 10, 12, 19, 21]);
  });

  it('EF_DIR application template', () => {
    const rec = encodeDirRecord({ aid: bytesOf('A0000000871002'), label: 'USIM' }, 24);
    expect(hexOf(rec)).toBe('610F4F07A0000000871002500455534 94D'.replace(/ /g, '') + 'FF'.repeat(7));
    expect(decodeDirRecord(rec)).toEqual({
      ok: true,
      value: { aid: bytesOf('A0000000871002'), label: 'USIM' },
    });
  });

  it('PIN blocks: ASCII digits padded with FF to 8 bytes', () => {
    expect(hexOf(encodePinBlock('1234'))).toBe('31323334FFFFFFFF');
    expect(decodePinBlock(bytesOf('3132333435363738'))).toEqual({ ok: true, value: '12345678' });
    expect(decodePinBlock(bytesOf('31FF3233FFFFFFFF'))).toMatchObject({ ok: false });
    expect(() => encodePinBlock('12a4')).toThrow(RangeError);
  });
});

describe('status words', () => {
  it('builds and names them', () => {
    expect([sw61(0x20), sw6C(0x0a), sw9F(0x16), sw63C(2)]).toEqual([0x6120, 0x6c0a, 0x9f16, 0x63c2]);
    expect(describeStatusWord(SW.FILE_NOT_FOUND)).toBe('6A82 file or application not found');
    expect(describeStatusWord(0x63c1)).toBe('63C1 verification failed, 1 retries remaining');
    expect(describeStatusWord(SW.GSM_CHV_BLOCKED)).toMatch(/^9840 /);
    expect(statusWordOf(bytesOf('01029000'))).toBe(0x9000);
    expect(statusWordOf(bytesOf('90'))).toBeUndefined();
  });
});

describe('GSM GET RESPONSE structures (TS 51.011 §9.2.1)', () => {
  it('22-byte DF response: byte 19 holds CHV1 status and remaining attempts', () => {
    const b = encodeGsmDfResponse({
      kind: 'df',
      fileId: 0x7f20,
      freeMemory: 0x1234,
      characteristics: 0x31,
      dfCount: 0,
      efCount: 13,
      codeCount: 4,
      chv1: { initialised: true, remaining: 2 },
      unblockChv1: { initialised: true, remaining: 10 },
      chv2: { initialised: true, remaining: 3 },
      unblockChv2: { initialised: true, remaining: 10 },
    });
    expect(hexOf(b)).toBe(
      '0000' +
        '1234' +
        '7F20' +
        '02' +
        '0000000000' +
        '09' +
        '31' +
        '00' +
        '0D' +
        '04' +
        '00' +
        '82' +
        '8A' +
        '83' +
        '8A',
    );
    const back = parseGsmSelectResponse(b);
    expect(back).toMatchObject({
      ok: true,
      value: { kind: 'df', chv1: { initialised: true, remaining: 2 } },
    });
  });

  it('15-byte EF response: size, id, access nibbles, structure, record length', () => {
    const b = encodeGsmEfResponse({
      kind: 'ef',
      fileId: 0x6f3a,
      fileSize: 560,
      structure: 'linear-fixed',
      recordLength: 28,
      access: { read: 'CHV1', update: 'CHV1', increase: 'NEV', invalidate: 'ADM', rehabilitate: 'ADM' },
      invalidated: false,
      readableWhenInvalidated: false,
      increaseAllowed: false,
    });
    expect(hexOf(b)).toBe(
      '0000' + '0230' + '6F3A' + '04' + '00' + '11' + 'FF' + 'AA' + '01' + '02' + '01' + '1C',
    );
    const back = parseGsmSelectResponse(b);
    expect(back.ok && back.value.kind === 'ef' && gsmRecordCount(back.value)).toBe(20);
  });
});

describe('UICC FCP template (TS 102 221 §11.1.1.3)', () => {
  it('a linear fixed EF: descriptor with record length and count, expanded security, size, no SFI', () => {
    const b = encodeFcp({
      fileType: 'ef',
      shareable: true,
      structure: 'linear-fixed',
      recordLength: 28,
      recordCount: 20,
      fileId: 0x6f3a,
      lifeCycle: 5,
      securityRules: efSecurityRules('CHV1', 'CHV1'),
      fileSize: 560,
      sfi: null,
    });
    expect(hexOf(b)).toBe(
      '6221' +
        '8205422100' +
        '1C14' +
        '83026F3A' +
        '8A0105' +
        'AB0B' +
        '800103A40683010195010' +
        '8' +
        '80020230' +
        '8800',
    );
    expect(parseFcp(b)).toMatchObject({
      ok: true,
      value: {
        fileType: 'ef',
        structure: 'linear-fixed',
        recordLength: 28,
        recordCount: 20,
        fileSize: 560,
        sfi: null,
      },
    });
  });

  it('a DF with its name and PIN status template', () => {
    const b = encodeFcp({
      fileType: 'df',
      shareable: true,
      fileId: 0x7ff0,
      dfName: bytesOf('A0000000871002'),
      proprietary: bytesOf('800171'),
      lifeCycle: 5,
      pinStatus: [
        { keyReference: 0x01, enabled: true },
        { keyReference: 0x81, enabled: false },
      ],
    });
    expect(hexOf(b)).toBe(
      '6227' +
        '82027821' +
        '83027FF0' +
        '8407A0000000871002' +
        'A503800171' +
        '8A0105' +
        'C60C' +
        '900180' +
        '950108' +
        '830101' +
        '830181',
    );
    expect(parseFcp(b)).toMatchObject({
      ok: true,
      value: { fileType: 'df', pinStatus: [{ enabled: true }, { enabled: false }] },
    });
  });

  it('codec round trip for EF descriptors', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('transparent' as const, 'linear-fixed' as const, 'cyclic' as const),
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: 1, max: 254 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.option(fc.integer({ min: 1, max: 30 })),
        fc.constantFrom('ALW' as const, 'CHV1' as const, 'CHV2' as const, 'ADM' as const, 'NEV' as const),
        (structure, len, count, fid, sfi, ac) => {
          const fcp = parseFcp(
            encodeFcp({
              fileType: 'ef',
              shareable: true,
              structure,
              recordLength: len,
              recordCount: count,
              fileId: fid,
              fileSize: structure === 'transparent' ? len : len * count,
              sfi,
              securityRules: efSecurityRules(ac, 'ADM'),
            }),
          );
          if (!fcp.ok) return false;
          const v = fcp.value;
          return (
            v.structure === structure &&
            v.fileId === fid &&
            v.sfi === sfi &&
            (structure === 'transparent' || (v.recordLength === len && v.recordCount === count))
          );
        },
      ),
    );
  });
});

describe('decoders never throw on arbitrary bytes', () => {
  it('returns a result or an error for anything', () => {
    const decoders = [
      decodeIccid,
      decodeImsi,
      (b: Uint8Array) => decodeSwappedBcd(b, true),
      decodeAlpha,
      decodeDiallingNumber,
      decodeSpn,
      decodeAd,
      decodeDirRecord,
      decodePinBlock,
      parseFcp,
      parseGsmSelectResponse,
      (b: Uint8Array) => parseBerTlv(b),
      (b: Uint8Array) => decodeSst(b),
      (b: Uint8Array) => decodeUst(b),
    ];
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.integer({ min: 0, max: decoders.length - 1 }),
        (b, i) => {
          const r = decoders[i]!(b);
          return r !== undefined;
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('FCP parser on mutated valid templates', () => {
    const valid = encodeFcp({
      fileType: 'ef',
      shareable: true,
      structure: 'cyclic',
      recordLength: 3,
      recordCount: 5,
      fileId: 0x6f39,
      lifeCycle: 5,
      securityRules: efSecurityRules('CHV1', 'CHV2'),
      fileSize: 15,
      sfi: 4,
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: valid.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(valid.length),
        (i, v, cut) => {
          const m = Uint8Array.from(valid);
          m[i] = v;
          parseFcp(m.subarray(0, cut));
          return parseFcp(m) !== undefined;
        },
      ),
      { numRuns: 3000 },
    );
  });
});
