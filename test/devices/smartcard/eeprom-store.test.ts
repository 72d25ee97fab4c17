import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../devices/atomic-file.js';
import {
  CardImageFileError,
  loadCardImage,
  openStoredCard,
  saveCardImage,
} from '../../../devices/smartcard/eeprom-store.js';
import { decodeCardImage, encodeCardImage } from '../../../firmware-sim/uim/image.js';
import { cachedRsa, fixture, pinBlock, seededRandom, tx, USIM } from '../../firmware-sim/uim/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'uim-eeprom-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const opts = { random: seededRandom(), rsaKeyGenerator: cachedRsa };

describe('atomic file writes', () => {
  it('replaces the file and leaves no temporary behind', () => {
    const f = join(dir, 'a.bin');
    writeFileAtomic(f, Uint8Array.of(1, 2, 3));
    writeFileAtomic(f, Uint8Array.of(4, 5));
    expect([...readFileSync(f)]).toEqual([4, 5]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('card EEPROM images on disk', () => {
  it('a card saves every state change before answering and resumes from the file', () => {
    const f = join(dir, 'usim.img');
    const c = openStoredCard(f, fixture(USIM), opts);
    c.powerOn();
    expect(tx(c, `00 20 00 01 08 ${pinBlock('9999')}`)).toBe('63C2');
    // The file already holds the decremented counter.
    expect(loadCardImage(f).codes.find((k) => k.ref === 1)?.code.remaining).toBe(2);
    tx(c, `00 20 00 01 08 ${pinBlock('1234')}`);
    tx(c, '00 A4 08 0C 04 7F10 6F3A');
    expect(tx(c, `00 DC 07 04 1C ${'42'.repeat(28)}`)).toBe('9000');
    // Power cut: a new card object from the same file.
    const again = openStoredCard(f, fixture(USIM), opts);
    again.powerOn();
    expect(tx(again, '00 20 00 01')).toBe('63C3'); // the right PIN reset the counter, and that was saved too
    tx(again, `00 20 00 01 08 ${pinBlock('1234')}`);
    tx(again, '00 A4 08 0C 04 7F10 6F3A');
    expect(tx(again, '00 B2 07 04 1C')).toBe('42'.repeat(28) + '9000');
  });

  it('refuses corrupt, truncated, foreign or future images, naming the file', () => {
    const good = encodeCardImage(loadCardImage(join(dir, 'usim.img')));
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated.img', good.subarray(0, good.length - 10), /truncated/],
      ['short.img', good.subarray(0, 20), /truncated/],
      [
        'flipped.img',
        Uint8Array.from(good, (b, i) => (i === 200 ? b ^ 0x01 : b)),
        /SHA-256 digest does not match/,
      ],
      ['magic.img', Uint8Array.from(good, (b, i) => (i === 0 ? 0x58 : b)), /not a card image/],
      ['version.img', Uint8Array.from(good, (b, i) => (i === 9 ? 2 : b)), /version 2 is not supported/],
      ['trailing.img', Uint8Array.from([...good, 0]), /unexpected bytes/],
      ['empty.img', new Uint8Array(0), /truncated/],
    ];
    for (const [name, bytes, reason] of cases) {
      const f = join(dir, name);
      writeFileSync(f, bytes);
      expect(() => loadCardImage(f)).toThrow(CardImageFileError);
      expect(() => loadCardImage(f)).toThrow(
        new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: card image refused: .*${reason.source}`),
      );
      // openStoredCard refuses it too and leaves the damaged file for inspection.
      expect(() => openStoredCard(f, fixture(USIM), opts)).toThrow(CardImageFileError);
      expect(readFileSync(f).length).toBe(bytes.length);
    }
    expect(() => loadCardImage(join(dir, 'missing.img'))).toThrow(/cannot be read \(ENOENT\)/);
  });

  it('refuses a well-sealed image whose content is inconsistent', () => {
    const state = loadCardImage(join(dir, 'usim.img'));
    state.codes[0]!.code.remaining = 9; // more than max 3
    const f = join(dir, 'inconsistent.img');
    saveCardImage(f, state);
    expect(() => loadCardImage(f)).toThrow(/codes\.0\.code: expected remaining attempts ≤ max/);
    const s2 = loadCardImage(join(dir, 'usim.img'));
    s2.files[3]!.data = Uint8Array.of(1); // a record EF whose data does not fill its records
    saveCardImage(f, s2);
    expect(decodeCardImage(readFileSync(f)).ok).toBe(false);
  });
});
