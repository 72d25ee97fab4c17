import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCardImage } from '../../../firmware-sim/uim/image.js';
import {
  decodeDiallingNumber,
  encodeDiallingNumber,
  diallingNumber,
} from '../../../firmware-sim/uim/codecs.js';
import { bytesOf, card, GSM, hexOf, pinBlock, tx, txGet, txr, USIM } from './helpers.js';

const PIN1 = '1234';
const GSM_PIN1 = '0000';

describe('GSM class (TS 51.011)', () => {
  it('SELECT MF answers 9F16; GET RESPONSE gives the 22-byte DF structure', () => {
    const c = card(GSM);
    expect(tx(c, 'A0 A4 00 00 02 3F00')).toBe('9F16');
    // RFU | free memory | 3F00 | type MF | RFU ×5 | 9 bytes follow | characteristics 31 (clock stop, 5 V + 3 V)
    // | 3 DFs (7F10, 7F20, 7F50) | 2 EFs | 4 codes | RFU | CHV1 83 | PUK1 8A | CHV2 83 | PUK2 8A
    expect(tx(c, 'A0 C0 00 00 16')).toBe(
      '0000' +
        '0000' +
        '3F00' +
        '01' +
        '0000000000' +
        '09' +
        '31' +
        '03' +
        '02' +
        '04' +
        '00' +
        '83' +
        '8A' +
        '83' +
        '8A' +
        '9000',
    );
  });

  it('SELECT EF_IMSI: the 15-byte EF structure with access nibbles READ CHV1 / UPDATE ADM', () => {
    const c = card(GSM);
    expect(tx(c, 'A0 A4 00 00 02 7F20')).toBe('9F16');
    expect(tx(c, 'A0 A4 00 00 02 6F07')).toBe('9F0F');
    expect(tx(c, 'A0 C0 00 00 0F')).toBe(
      '0000' + '0009' + '6F07' + '04' + '00' + '1A' + 'FF' + 'AA' + '01' + '02' + '00' + '00' + '9000',
    );
  });

  it('CLA 00 is not the class of a GSM-only SIM: 6E00', () => {
    const c = card(GSM);
    expect(tx(c, '00 A4 00 04 02 3F00')).toBe('6E00');
    expect(tx(c, '80 F2 00 00 00')).toBe('6E00');
  });

  it('file not found 9404, P3 wrong 6700, P1P2 wrong 6B00, no EF selected 9400', () => {
    const c = card(GSM);
    expect(tx(c, 'A0 A4 00 00 02 6FFF')).toBe('9404');
    expect(tx(c, 'A0 A4 00 00 03 3F0000')).toBe('6700');
    expect(tx(c, 'A0 A4 01 00 02 3F00')).toBe('6B00');
    expect(tx(c, 'A0 B0 00 00 01')).toBe('9400');
    expect(tx(c, 'A0 12 00 00 00')).toBe('6D00');
  });

  it('three wrong CHV1: 9804, 9804, 9840; byte 19 counts down; UNBLOCK CHV restores', () => {
    const c = card(GSM);
    const wrong = `A0 20 00 01 08 ${pinBlock('9999')}`;
    expect([tx(c, wrong), tx(c, wrong), tx(c, wrong)]).toEqual(['9804', '9804', '9840']);
    expect(tx(c, `A0 20 00 01 08 ${pinBlock(GSM_PIN1)}`)).toBe('9840');
    tx(c, 'A0 A4 00 00 02 3F00');
    expect(txr(c, 'A0 C0 00 00 16').data[18]).toBe(0x80); // initialised, 0 attempts left
    expect(tx(c, 'A0 A4 00 00 02 7F20')).toBe('9F16');
    expect(tx(c, 'A0 A4 00 00 02 6F07')).toBe('9F0F');
    expect(tx(c, 'A0 B0 00 00 09')).toBe('9804');
    // UNBLOCK CHV (P2 = 00 for CHV1 in GSM): PUK1 then the new CHV1.
    expect(tx(c, `A0 2C 00 00 10 ${pinBlock('11111112')}${pinBlock('4321')}`)).toBe('9804');
    expect(tx(c, `A0 2C 00 00 10 ${pinBlock('11111111')}${pinBlock('4321')}`)).toBe('9000');
    expect(tx(c, 'A0 B0 00 00 09')).toBe('082943519099999999' + '9000');
    tx(c, 'A0 A4 00 00 02 3F00');
    expect(txr(c, 'A0 C0 00 00 16').data[18]).toBe(0x83);
    expect(txr(c, 'A0 C0 00 00 16').sw).toBe(0x6f00); // pending data was consumed
  });

  it('DISABLE CHV1 lets CHV1 files be read without a PIN; the DF response says so (byte 14 b8)', () => {
    const c = card(GSM);
    expect(tx(c, `A0 26 00 01 08 ${pinBlock(GSM_PIN1)}`)).toBe('9000');
    expect(tx(c, `A0 26 00 01 08 ${pinBlock(GSM_PIN1)}`)).toBe('9808');
    c.powerOff();
    c.powerOn();
    tx(c, 'A0 A4 00 00 02 3F00');
    expect(txr(c, 'A0 C0 00 00 16').data[13]).toBe(0xb1);
    tx(c, 'A0 A4 00 00 02 7F20');
    tx(c, 'A0 A4 00 00 02 6F07');
    expect(txr(c, 'A0 B0 00 00 09').sw).toBe(0x9000);
    expect(tx(c, `A0 28 00 01 08 ${pinBlock(GSM_PIN1)}`)).toBe('9000');
  });

  it('SEEK type 2 returns the record number through 9F01', () => {
    const c = card(GSM);
    tx(c, `A0 20 00 01 08 ${pinBlock(GSM_PIN1)}`);
    tx(c, 'A0 A4 00 00 02 7F10');
    tx(c, 'A0 A4 00 00 02 6F3A');
    expect(tx(c, `A0 A2 00 10 04 ${hexOf(Buffer.from('Shop'))}`)).toBe('9F01');
    expect(tx(c, 'A0 C0 00 00 01')).toBe('019000');
    expect(tx(c, `A0 A2 00 00 04 ${hexOf(Buffer.from('Nope'))}`)).toBe('9404');
  });
});

describe('UICC class (TS 102 221 / 31.102)', () => {
  it('SELECT MF with FCP: 61xx, then the FCP template through GET RESPONSE', () => {
    const c = card(USIM);
    expect(tx(c, '00 A4 00 04 02 3F00')).toBe('6130');
    expect(tx(c, '00 C0 00 00 30')).toBe(
      '622E' +
        '82027821' + // shareable DF
        '83023F00' +
        'A503800171' + // UICC characteristics
        '8A0105' + // operational, activated
        'AB0B80017FA40683010A950108' + // DF management: ADM1
        'C60F9001E0950108830101830181' +
        '83010A' + // PIN status: PIN1, PIN2, ADM1 enabled
        '9000',
    );
  });

  it('SELECT EF_ICCID: FCP of a transparent EF, then READ BINARY', () => {
    const c = card(USIM);
    expect(tx(c, '00 A4 00 04 02 2FE2')).toBe('6120');
    expect(tx(c, '00 C0 00 00 20')).toBe(
      '621E' +
        '82024121' +
        '83022FE2' +
        '8A0105' +
        'AB0A' +
        '8001019000' +
        '8001029700' +
        '8002000A' +
        '880110' +
        '9000',
    );
    expect(tx(c, '00 B0 00 00 0A')).toBe('98440200113201444' + '0F7' + '9000');
    // Wrong Le: 6Cxx with the right one.
    expect(tx(c, '00 B0 00 00 00')).toBe('6C0A');
    expect(tx(c, '00 B0 00 0A 01')).toBe('6B00');
  });

  it('response data waits for GET RESPONSE and any other command discards it (T=0)', () => {
    const c = card(USIM);
    expect(tx(c, '00 A4 00 04 02 3F00')).toBe('6130');
    expect(tx(c, '00 C0 00 00 40')).toBe('6C30');
    expect(tx(c, '00 C0 00 00 10').slice(-4)).toBe('6120');
    expect(tx(c, '00 20 00 01')).toBe('63C3');
    expect(tx(c, '00 C0 00 00 20')).toBe('6985');
    expect(tx(c, '00 A4 00 0C 02 3F00')).toBe('9000');
  });

  it('SELECT by AID (partial), by path from the MF and from the current DF, parent, 7FFF', () => {
    const c = card(USIM);
    expect(tx(c, '00 A4 04 04 07 A0000000871002')).toMatch(/^61/);
    expect(txr(c, '00 A4 00 04 02 7FFF').sw >> 8).toBe(0x61);
    const fcp = txGet(c, '00 A4 08 04 04 7F10 6F3A');
    expect(fcp.sw).toBe(0x9000);
    expect(hexOf(fcp.data).slice(0, 18)).toBe('6221820542210' + '01C14');
    expect(tx(c, '00 A4 03 0C')).toBe('9000');
    expect(tx(c, '00 A4 09 0C 04 7F10 6F3C')).toBe('9000');
    expect(tx(c, '00 A4 09 0C 02 6F3A')).toBe('9000');
    expect(tx(c, '00 A4 08 0C 04 3F00 7F10')).toBe('6A82');
    expect(tx(c, '00 A4 00 04 03 3F0000')).toBe('6A87');
    expect(tx(c, '00 A4 05 04 02 3F00')).toBe('6A86');
    expect(tx(c, '00 A4 04 04 05 A000000099')).toBe('6A82');
  });

  it('class and instruction errors: 6E00, 6D00, 6881, 6882, 6700', () => {
    const c = card(USIM);
    expect(tx(c, '20 A4 00 04 02 3F00')).toBe('6E00');
    expect(tx(c, '00 F2 00 00 00')).toBe('6E00'); // STATUS is CLA 80
    expect(tx(c, '00 E4 00 00')).toBe('6D00');
    expect(tx(c, '01 A4 00 04 02 3F00')).toBe('6881');
    expect(tx(c, '0C A4 00 04 02 3F00')).toBe('6882');
    expect(tx(c, '00 A4')).toBe('6700');
    expect(tx(c, '00 A4 00 04 05 3F00')).toBe('6700');
    expect(tx(c, '00 70 00 00 01')).toBe('6881');
  });

  it('three wrong PINs: 63C2, 63C1, 6983; UNBLOCK with the PUK restores', () => {
    const c = card(USIM);
    const wrong = `00 20 00 01 08 ${pinBlock('9999')}`;
    expect([tx(c, wrong), tx(c, wrong), tx(c, wrong)]).toEqual(['63C2', '63C1', '6983']);
    expect(tx(c, `00 20 00 01 08 ${pinBlock(PIN1)}`)).toBe('6983');
    expect(tx(c, '00 20 00 01')).toBe('6983');
    expect(tx(c, '00 2C 00 01')).toBe('63CA');
    expect(tx(c, `00 2C 00 01 10 ${pinBlock('00000000')}${pinBlock('4321')}`)).toBe('63C9');
    expect(tx(c, `00 2C 00 01 10 ${pinBlock('12345678')}${pinBlock('4321')}`)).toBe('9000');
    expect(tx(c, '00 2C 00 01')).toBe('63CA');
    expect(tx(c, '00 20 00 01')).toBe('9000');
    c.reset();
    expect(tx(c, '00 20 00 01')).toBe('63C3');
    expect(tx(c, `00 20 00 01 08 ${pinBlock('4321')}`)).toBe('9000');
  });

  it('the PUK counter reaching 0 blocks for good', () => {
    const c = card(USIM);
    const badPuk = `00 2C 00 01 10 ${pinBlock('00000000')}${pinBlock('4321')}`;
    const answers = Array.from({ length: 10 }, () => tx(c, badPuk));
    expect(answers).toEqual(['63C9', '63C8', '63C7', '63C6', '63C5', '63C4', '63C3', '63C2', '63C1', '6983']);
    expect(tx(c, `00 2C 00 01 10 ${pinBlock('12345678')}${pinBlock('4321')}`)).toBe('6983');
    expect(tx(c, '00 2C 00 01')).toBe('6983');
    c.reset();
    expect(tx(c, `00 2C 00 01 10 ${pinBlock('12345678')}${pinBlock('4321')}`)).toBe('6983');
  });

  it('CHANGE PIN, PIN2 and ADM references, unknown reference 6A88', () => {
    const c = card(USIM);
    expect(tx(c, `00 24 00 01 10 ${pinBlock(PIN1)}${pinBlock('5555')}`)).toBe('9000');
    c.reset();
    expect(tx(c, `00 20 00 01 08 ${pinBlock(PIN1)}`)).toBe('63C2');
    expect(tx(c, `00 20 00 01 08 ${pinBlock('5555')}`)).toBe('9000');
    expect(tx(c, `00 20 00 81 08 ${pinBlock('5678')}`)).toBe('9000');
    expect(tx(c, `00 20 00 0A 08 ${pinBlock('88888888')}`)).toBe('9000');
    expect(tx(c, `00 20 00 05 08 ${pinBlock('1111')}`)).toBe('6A88');
    expect(
      tx(c, `00 24 00 01 10 ${pinBlock('5555')}${hexOf(Buffer.from('12ab\xff\xff\xff\xff', 'latin1'))}`),
    ).toBe('6A80');
  });

  it('access conditions: 6982 before the PIN, ADM for EF_IMSI updates', () => {
    const c = card(USIM);
    expect(tx(c, '00 B0 87 00 09')).toBe('6A82'); // SFI 7 is not in the MF
    tx(c, '00 A4 04 0C 07 A0000000871002');
    expect(tx(c, '00 B0 87 00 09')).toBe('6982');
    tx(c, `00 20 00 01 08 ${pinBlock(PIN1)}`);
    expect(tx(c, '00 B0 87 00 09')).toBe('080910101032547698' + '9000');
    expect(tx(c, '00 D6 00 00 09 080910101032547699')).toBe('6982');
    tx(c, `00 20 00 0A 08 ${pinBlock('88888888')}`);
    expect(tx(c, '00 D6 00 00 09 080910101032547699')).toBe('9000');
    expect(tx(c, '00 B0 00 00 09')).toBe('080910101032547699' + '9000');
    expect(tx(c, '00 D6 00 08 02 0102')).toBe('6700');
    expect(tx(c, '00 B2 01 04 1C')).toBe('6981');
  });

  it('the USIM also answers the GSM class', () => {
    const c = card(USIM);
    expect(tx(c, 'A0 A4 00 00 02 7F20')).toBe('9F16');
    expect(tx(c, `A0 20 00 01 08 ${pinBlock('0000')}`)).toBe('9804');
    expect(tx(c, '00 20 00 01')).toBe('63C2'); // one counter, both classes
  });
});

describe('record files', () => {
  it('reads the personalised phone book and writes records (absolute, next, previous)', () => {
    const c = card(USIM);
    tx(c, `00 20 00 01 08 ${pinBlock(PIN1)}`);
    tx(c, '00 A4 08 0C 04 7F10 6F3A');
    const r1 = txr(c, '00 B2 01 04 1C');
    expect(r1.sw).toBe(0x9000);
    expect(hexOf(r1.data)).toBe(
      hexOf(encodeDiallingNumber(diallingNumber('Payment desk', '+441234567890'), 28)),
    );
    expect(tx(c, '00 B2 01 04 10')).toBe('6C1C');
    expect(tx(c, '00 B2 15 04 1C')).toBe('6A83');
    expect(tx(c, '00 B2 00 04 1C')).toBe('6A83'); // no current record yet
    expect(txr(c, '00 B2 00 02 1C').data[0]).toBe(0x50); // NEXT → record 1 ("P")
    expect(txr(c, '00 B2 00 02 1C').data[0]).toBe(0x47); // record 2 ("G")
    expect(txr(c, '00 B2 00 03 1C').data[0]).toBe(0x50); // PREVIOUS → record 1
    expect(tx(c, '00 B2 00 03 1C')).toBe('6A83');
    const rec = hexOf(encodeDiallingNumber(diallingNumber('Zoë', '+33123456789'), 28));
    expect(tx(c, `00 DC 05 04 1C ${rec}`)).toBe('9000');
    const back = txr(c, '00 B2 05 04 1C');
    expect(decodeDiallingNumber(back.data)).toMatchObject({
      ok: true,
      value: { alpha: 'Zoë', number: '+33123456789' },
    });
    expect(tx(c, `00 DC 05 04 1B ${rec.slice(2)}`)).toBe('6700');
  });

  it('cyclic EF_ACM: UPDATE PREVIOUS writes the oldest record as record 1; INCREASE adds', () => {
    const c = card(GSM);
    tx(c, `A0 20 00 01 08 ${pinBlock(GSM_PIN1)}`);
    tx(c, 'A0 A4 00 00 02 7F20');
    expect(tx(c, 'A0 A4 00 00 02 6F39')).toBe('9F0F');
    expect(tx(c, 'A0 C0 00 00 0F').slice(14, 16)).toBe('40'); // byte 8 b7: INCREASE allowed
    expect(tx(c, 'A0 DC 00 03 03 000010')).toBe('9000');
    expect(tx(c, 'A0 DC 01 04 03 000011')).toBe('6B00'); // absolute update of a cyclic file
    expect(tx(c, 'A0 32 00 00 03 000005')).toBe('9F06');
    expect(tx(c, 'A0 C0 00 00 06')).toBe('000015' + '000005' + '9000');
    expect(tx(c, 'A0 B2 01 04 03')).toBe('000015' + '9000');
    expect(tx(c, 'A0 B2 02 04 03')).toBe('000010' + '9000');
    expect(tx(c, 'A0 32 00 00 03 FFFFFF')).toBe('9850');
  });

  it('SEARCH RECORD returns the matching record numbers', () => {
    const c = card(USIM);
    tx(c, `00 20 00 01 08 ${pinBlock(PIN1)}`);
    tx(c, '00 A4 08 0C 04 7F10 6F3A');
    const r = txGet(c, `00 A2 01 04 07 ${hexOf(Buffer.from('Gateway'))}`);
    expect(r).toEqual({ data: Uint8Array.of(2), sw: 0x9000 });
    expect(tx(c, `00 A2 01 04 03 ${hexOf(Buffer.from('Zzz'))}`)).toBe('6282');
  });
});

describe('properties', () => {
  it('UPDATE BINARY then READ BINARY returns what was written', () => {
    const c = card(USIM);
    tx(c, `00 20 00 01 08 ${pinBlock(PIN1)}`);
    expect(tx(c, '00 A4 08 0C 04 7F51 6F12')).toBe('9000');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2047 }),
        fc.uint8Array({ minLength: 1, maxLength: 255 }),
        (offset, data) => {
          const len = Math.min(data.length, 2048 - offset);
          const chunk = data.subarray(0, len);
          const p1p2 = offset.toString(16).padStart(4, '0');
          const lc = len.toString(16).padStart(2, '0');
          if (tx(c, `00 D6 ${p1p2} ${lc} ${hexOf(chunk)}`) !== '9000') return false;
          const r = txr(c, `00 B0 ${p1p2} ${lc}`);
          return r.sw === 0x9000 && hexOf(r.data) === hexOf(chunk);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('UPDATE RECORD then READ RECORD returns what was written', () => {
    const c = card(GSM);
    tx(c, `A0 20 00 01 08 ${pinBlock(GSM_PIN1)}`);
    tx(c, 'A0 A4 00 00 02 7F10');
    tx(c, 'A0 A4 00 00 02 6F3C');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.uint8Array({ minLength: 176, maxLength: 176 }),
        (n, rec) => {
          const p1 = n.toString(16).padStart(2, '0');
          if (tx(c, `A0 DC ${p1} 04 B0 ${hexOf(rec)}`) !== '9000') return false;
          return tx(c, `A0 B2 ${p1} 04 B0`) === hexOf(rec) + '9000';
        },
      ),
      { numRuns: 100 },
    );
  });

  it('counters stay within 0…max whatever is presented', () => {
    for (const profile of [USIM, GSM]) {
      const c = card(profile);
      const cla = profile === GSM ? 'A0' : '00';
      const cmd = fc.oneof(
        fc.constantFrom('1234', '0000', '9999').map((p) => `${cla} 20 00 01 08 ${pinBlock(p)}`),
        fc
          .constantFrom('12345678', '11111111', '00000000')
          .map((p) => `${cla} 2C 00 ${profile === GSM ? '00' : '01'} 10 ${pinBlock(p)}${pinBlock('1234')}`),
        fc.constantFrom('1234', '0000').map((p) => `${cla} 24 00 01 10 ${pinBlock(p)}${pinBlock(p)}`),
      );
      fc.assert(
        fc.property(fc.array(cmd, { maxLength: 30 }), (cmds) => {
          for (const x of cmds) {
            const r = txr(c, x);
            if (![0x9000, 0x9804, 0x9840, 0x9808, 0x6983, 0x6984].includes(r.sw) && r.sw >> 4 !== 0x63c)
              return false;
            const img = decodeCardImage(c.image());
            if (!img.ok) return false;
            for (const code of img.value.codes) {
              for (const rc of [code.code, code.unblock]) {
                if (rc && (rc.remaining < 0 || rc.remaining > rc.max)) return false;
              }
            }
          }
          return true;
        }),
        { numRuns: 40 },
      );
    }
  });

  it('arbitrary bytes get a response ending in a status word, never a throw', () => {
    for (const profile of [USIM, GSM]) {
      const c = card(profile);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
          const r = c.transmit(b);
          return (
            r.length >= 2 &&
            [
              0x61, 0x62, 0x63, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x90, 0x92, 0x94, 0x98,
              0x9f,
            ].includes(r[r.length - 2]!)
          );
        }),
        { numRuns: 3000 },
      );
    }
  });
});

describe('fuzz run of the dispatcher', () => {
  it('thousands of random and mutated APDUs, then the card still selects the MF', () => {
    const seeds = [
      '00A4000402 3F00',
      '00A40804047F106F3A',
      '00C0000030',
      '00B0000010',
      '00B2010400',
      '00DC01041C' + 'FF'.repeat(28),
      '0020000108' + pinBlock('1234'),
      '002C000110' + pinBlock('12345678') + pinBlock('1234'),
      '80F2000000',
      '00A2010403414243',
      '0022 41B6 06 840101800102',
      '002A9E9A20' + '00'.repeat(32),
      '0046000100',
      '805A000010800530303030318106414243444546',
      'A0A4000002 7F20',
      'A0C0000016',
      'A0B2010400',
      'A0320000 03 000001',
    ].map((h) => bytesOf(h));
    for (const profile of [USIM, GSM]) {
      const c = card(profile);
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ minLength: 4, maxLength: 40 }),
            fc
              .tuple(
                fc.constantFrom(...seeds),
                fc.array(fc.tuple(fc.nat(64), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
                fc.nat(70),
              )
              .map(([s, muts, cut]) => {
                const m = Uint8Array.from(s);
                for (const [i, v] of muts) if (m.length) m[i % m.length] = v;
                return cut < m.length && cut >= 4 ? m.subarray(0, cut) : m;
              }),
          ),
          (apdu) => c.transmit(apdu).length >= 2,
        ),
        { numRuns: 4000, seed: 4242 },
      );
      if (!c.powered) c.powerOn();
      const sw = profile === GSM ? tx(c, 'A0 A4 00 00 02 3F00') : tx(c, '00 A4 00 04 02 3F00');
      expect(sw).toMatch(profile === GSM ? /^9F16$/ : /^61[0-9A-F]{2}$/);
      c.reset();
      expect(tx(c, profile === GSM ? 'A0 A4 00 00 02 3F00' : '00 A4 00 0C 02 3F00')).toMatch(/^(9F16|9000)$/);
    }
  });
});

describe('persistence hooks', () => {
  it('a wrong PIN is persisted (counter decremented) before the answer', () => {
    const images: Uint8Array[] = [];
    const c = card(USIM, { persist: (img) => images.push(img) });
    expect(tx(c, `00 20 00 01 08 ${pinBlock('9999')}`)).toBe('63C2');
    expect(images).toHaveLength(1);
    const img = decodeCardImage(images[0]!);
    expect(img.ok && img.value.codes.find((k) => k.ref === 1)?.code.remaining).toBe(2);
  });

  it('a failing persist rolls the card back and answers 6581 / 9240', () => {
    let fail = false;
    const c = card(USIM, {
      persist: () => {
        if (fail) throw new Error('disk full');
      },
    });
    tx(c, `00 20 00 01 08 ${pinBlock(PIN1)}`);
    tx(c, '00 A4 08 0C 04 7F10 6F3A');
    const before = tx(c, '00 B2 03 04 1C');
    fail = true;
    expect(tx(c, `00 DC 03 04 1C ${'41'.repeat(28)}`)).toBe('6581');
    fail = false;
    expect(tx(c, '00 B2 03 04 1C')).toBe(before);
    const g = card(GSM, {
      persist: () => {
        throw new Error('disk full');
      },
    });
    expect(tx(g, `A0 20 00 01 08 ${pinBlock('9999')}`)).toBe('9240');
    expect(tx(g, `A0 20 00 01 08 ${pinBlock('0000')}`)).toBe('9240');
  });

  it('a card from its image carries on where it was (counters, contents)', async () => {
    const { UimCard } = await import('../../../firmware-sim/uim/card-os.js');
    const c = card(USIM);
    tx(c, `00 20 00 01 08 ${pinBlock('9999')}`);
    const again = UimCard.fromImage(c.image());
    again.powerOn();
    expect(tx(again, '00 20 00 01')).toBe('63C2');
    expect(() => UimCard.fromImage(c.image().subarray(0, 100))).toThrow(/truncated/);
  });

  it('a powered-off card answers nothing useful but does not throw', () => {
    const c = card(USIM);
    c.powerOff();
    expect(tx(c, '00 A4 00 04 02 3F00')).toBe('6F00');
  });
});
