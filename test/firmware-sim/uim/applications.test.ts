import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { derFromPaddedFile } from '../../../firmware-sim/uim/certificate.js';
import { decodeCardImage } from '../../../firmware-sim/uim/image.js';
import { ecdsaSignHashRaw, ecP256FromScalar } from '../../../firmware-sim/uim/keys.js';
import {
  checkAuthResult,
  decodeAuthResult,
  decodeDeviceId,
  decodeGatewayUrl,
  decodePaymentUser,
  encodeChangePaymentPassword,
  encodeVerifyPaymentPassword,
} from '../../../firmware-sim/uim/payment.js';
import type { UimCard } from '../../../firmware-sim/uim/card-os.js';
import { bytesOf, card, fixture, GSM, hexOf, pinBlock, tx, txGet, txr, USIM } from './helpers.js';

const OPENSSL = '/usr/bin/openssl';

/**
 * Counts calls of crypto.pbkdf2Sync (the real one still runs): a measuring wrapper, installed in the
 * builtin module and synced to its ESM exports, as the benchmarks' meter does.
 */
function countPbkdf2Sync(): { n: number; restore(): void } {
  const mod = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const original = mod.pbkdf2Sync;
  const counter = {
    n: 0,
    restore() {
      mod.pbkdf2Sync = original;
      syncBuiltinESMExports();
    },
  };
  mod.pbkdf2Sync = ((...args: Parameters<typeof original>) => {
    counter.n++;
    return original(...args);
  }) as typeof original;
  syncBuiltinESMExports();
  return counter;
}
const AUTH_KEY = bytesOf('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
const lc = (b: Uint8Array): string => b.length.toString(16).padStart(2, '0');
const NOW = 1_750_000_000;

function verifyPassword(c: UimCard, cla: string, userId: string, password: string, now = NOW): string {
  const data = encodeVerifyPaymentPassword({ userId, password, now });
  return tx(c, `${cla} 5A 00 00 ${lc(data)} ${hexOf(data)}`);
}

describe('payment application (seed 001, storage area 233)', () => {
  it('holds device id, gateway URL and users behind CHV1; the verifiers are unreadable', () => {
    const c = card(USIM);
    expect(tx(c, '00 A4 04 0C 07 F0425450415901')).toBe('9000');
    expect(tx(c, '00 A4 00 0C 02 6F01')).toBe('9000');
    expect(tx(c, '00 B0 00 00 10')).toBe('6982');
    tx(c, `00 20 00 01 08 ${pinBlock('1234')}`);
    expect(decodeDeviceId(txr(c, '00 B0 00 00 10').data)).toEqual({ ok: true, value: '1234567' });
    tx(c, '00 A4 00 0C 02 6F02');
    expect(decodeGatewayUrl(txr(c, '00 B0 00 00 80').data)).toEqual({
      ok: true,
      value: 'https://gateway.benchtwin.test/pay',
    });
    tx(c, '00 A4 00 0C 02 6F03');
    expect(decodePaymentUser(txr(c, '00 B2 01 04 20').data)).toEqual({
      ok: true,
      value: { userId: '00001', label: 'Card A ****4234' },
    });
    expect(decodePaymentUser(txr(c, '00 B2 02 04 20').data)).toEqual({ ok: true, value: null });
    expect(tx(c, `00 DC 01 04 20 ${'41'.repeat(32)}`)).toBe('6982'); // ADM only
    tx(c, '00 A4 00 0C 02 6F05');
    expect(tx(c, '00 B2 01 04 34')).toBe('6982');
  });

  it('VERIFY PAYMENT PASSWORD: wrong → 63Cx, right → the card writes an authenticated, MACed result', () => {
    const c = card(USIM);
    tx(c, '00 A4 08 0C 02 7F50');
    expect(verifyPassword(c, '80', '00001', 'ABCDEF')).toBe('6982'); // CHV1 first
    tx(c, `00 20 00 01 08 ${pinBlock('1234')}`);
    expect(verifyPassword(c, '80', '00001', 'ABCDEG')).toBe('63C4');
    expect(verifyPassword(c, '80', '00009', 'ABCDEF')).toBe('63C3'); // unknown user id costs too
    expect(verifyPassword(c, '80', '00001', 'ABCDEF')).toBe('9000');
    tx(c, '00 A4 00 0C 02 6F04');
    const r = decodeAuthResult(txr(c, '00 B0 00 00 46').data);
    expect(r).toMatchObject({
      ok: true,
      value: { userId: '00001', userRecord: 1, issuedAt: NOW, expiresAt: NOW + 3600, sequence: 1 },
    });
    const result = r.ok ? r.value! : undefined!;
    expect(checkAuthResult(result, AUTH_KEY, '1234567', NOW + 60)).toBe('valid');
    expect(checkAuthResult(result, AUTH_KEY, '1234567', NOW + 3600)).toBe('expired');
    expect(checkAuthResult(result, AUTH_KEY, '7654321', NOW + 60)).toBe('bad-mac');
    expect(checkAuthResult({ ...result, expiresAt: NOW + 7200 }, AUTH_KEY, '1234567', NOW + 60)).toBe(
      'bad-mac',
    );
    // The counter was reset by the right password: five more tries.
    tx(c, '00 A4 08 0C 02 7F50');
    expect(verifyPassword(c, '80', '00001', 'x')).toBe('63C4');
    // The phone may erase the result (update CHV1).
    tx(c, '00 A4 09 0C 02 6F04');
    expect(tx(c, `00 D6 00 00 01 00`)).toBe('9000');
    expect(decodeAuthResult(txr(c, '00 B0 00 00 46').data)).toEqual({ ok: true, value: null });
  });

  it('five wrong passwords block it (6983); CHANGE with ADM resets; the GSM SIM answers 9804/9840', () => {
    const c = card(USIM);
    tx(c, '00 A4 08 0C 02 7F50');
    tx(c, `00 20 00 01 08 ${pinBlock('1234')}`);
    const answers = Array.from({ length: 5 }, () => verifyPassword(c, '80', '00001', 'nope'));
    expect(answers).toEqual(['63C4', '63C3', '63C2', '63C1', '6983']);
    expect(verifyPassword(c, '80', '00001', 'ABCDEF')).toBe('6983');
    const change = encodeChangePaymentPassword('00001', 'NEWPASS');
    expect(tx(c, `80 5C 00 00 ${lc(change)} ${hexOf(change)}`)).toBe('6A80'); // no old password, no ADM
    tx(c, `00 20 00 0A 08 ${pinBlock('88888888')}`);
    expect(tx(c, `80 5C 00 00 ${lc(change)} ${hexOf(change)}`)).toBe('9000');
    expect(verifyPassword(c, '80', '00001', 'ABCDEF')).toBe('63C4');
    expect(verifyPassword(c, '80', '00001', 'NEWPASS')).toBe('9000');

    const g = card(GSM);
    tx(g, 'A0 A4 00 00 02 7F50');
    tx(g, `A0 20 00 01 08 ${pinBlock('0000')}`);
    expect(verifyPassword(g, 'A0', '00002', 'ABCDEF')).toBe('9804');
    expect(verifyPassword(g, 'A0', '00002', 'FEDCBA')).toBe('9000');
    const own = encodeChangePaymentPassword('00002', 'ZYXWVU', 'FEDCBA');
    expect(tx(g, `A0 5C 00 00 ${lc(own)} ${hexOf(own)}`)).toBe('9000');
    expect(verifyPassword(g, 'A0', '00002', 'ZYXWVU')).toBe('9000');
    expect(tx(g, `A0 5A 00 00 03 800130`)).toBe('6A80');
  });

  it('prepare() derives the verifier key off the thread; the command then answers exactly as without it', async () => {
    const calls = countPbkdf2Sync();
    const c = card(USIM);
    tx(c, '00 A4 08 0C 02 7F50');
    tx(c, `00 20 00 01 08 ${pinBlock('1234')}`);
    const command = (userId: string, password: string): Uint8Array => {
      const data = encodeVerifyPaymentPassword({ userId, password, now: NOW });
      return bytesOf(`80 5A 00 00 ${lc(data)} ${hexOf(data)}`);
    };
    // Prepared and sent: the check uses the derivation made ahead (no synchronous PBKDF2).
    await c.prepare(command('00001', 'ABCDEF'));
    let before = calls.n;
    expect(tx(c, command('00001', 'ABCDEF'))).toBe('9000');
    expect(calls.n - before).toBe(0);
    // Sent again without a new prepare: derived on the spot, same answer.
    before = calls.n;
    expect(tx(c, command('00001', 'ABCDEF'))).toBe('9000');
    expect(calls.n - before).toBe(1);
    // A derivation prepared for one password does not answer for another: the counter still counts.
    await c.prepare(command('00001', 'ABCDEF'));
    expect(tx(c, command('00001', 'WRONG'))).toBe('63C4');
    // A derivation made before the verifier changed does not fit the new record: the old password fails.
    await c.prepare(command('00001', 'ABCDEF'));
    tx(c, `00 20 00 0A 08 ${pinBlock('88888888')}`);
    const change = encodeChangePaymentPassword('00001', 'NEWPASS');
    expect(tx(c, `80 5C 00 00 ${lc(change)} ${hexOf(change)}`)).toBe('9000');
    expect(tx(c, command('00001', 'ABCDEF'))).toBe('63C4');
    await c.prepare(command('00001', 'NEWPASS'));
    expect(tx(c, command('00001', 'NEWPASS'))).toBe('9000');
    calls.restore();
  });

  it('prepare() takes any bytes without throwing and changes nothing the card answers', async () => {
    const c = card(USIM);
    const twin = card(USIM);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        await c.prepare(bytes);
        expect(hexOf(c.transmit(bytes))).toBe(hexOf(twin.transmit(bytes)));
      }),
      { numRuns: 200 },
    );
  });

  it('the password is never in the image: only salt, iterations and the PBKDF2 verifier', () => {
    const c = card(USIM);
    const img = Buffer.from(c.image()).toString('latin1');
    expect(img).not.toContain('ABCDEF');
    expect(img).not.toContain(Buffer.from('ABCDEF').toString('hex').toUpperCase());
  });
});

describe('certificate application (seed 000)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uim-cert-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function ready(profile = USIM): UimCard {
    const c = card(profile);
    const cla = profile === GSM ? 'A0' : '00';
    expect(tx(c, profile === GSM ? 'A0 A4 00 00 02 7F51' : '00 A4 04 0C 08 F042544345525401')).toMatch(
      /^(9000|9F16)$/,
    );
    tx(c, `${cla} 20 00 01 08 ${pinBlock(profile === GSM ? '0000' : '1234')}`);
    return c;
  }

  function readFile(c: UimCard, fid: string, size: number): Uint8Array {
    tx(c, `00 A4 00 0C 02 ${fid}`);
    const parts: Buffer[] = [];
    for (let off = 0; off < size; off += 0xff) {
      const n = Math.min(0xff, size - off);
      const r = txr(c, `00 B0 ${off.toString(16).padStart(4, '0')} ${n.toString(16).padStart(2, '0')}`);
      parts.push(Buffer.from(r.data));
    }
    return Uint8Array.from(Buffer.concat(parts));
  }

  function sign(c: UimCard, data: Buffer): Uint8Array {
    expect(tx(c, `00 20 00 90 08 ${pinBlock('246810')}`)).toBe('9000');
    const hash = createHash('sha256').update(data).digest();
    const r = txGet(c, `00 2A 9E 9A 20 ${hexOf(hash)}`);
    expect(r.sw).toBe(0x9000);
    return r.data;
  }

  function opensslVerify(spki: Uint8Array, data: Buffer, sig: Uint8Array, name: string): string {
    const pub = join(dir, `${name}.pem`);
    writeFileSync(
      pub,
      createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({
        format: 'pem',
        type: 'spki',
      }),
    );
    writeFileSync(join(dir, `${name}.data`), data);
    writeFileSync(join(dir, `${name}.sig`), sig);
    return execFileSync(OPENSSL, [
      'dgst',
      '-sha256',
      '-verify',
      pub,
      '-signature',
      join(dir, `${name}.sig`),
      join(dir, `${name}.data`),
    ]).toString();
  }

  it('ECDSA P-256 is RFC 6979 deterministic (RFC 6979 A.2.5 test vector)', () => {
    const key = ecP256FromScalar(bytesOf('C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721'));
    const { r, s } = ecdsaSignHashRaw(key.privateKey, createHash('sha256').update('sample').digest());
    expect(r.toString(16).toUpperCase()).toBe(
      'EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716',
    );
    expect(s.toString(16).toUpperCase()).toBe(
      'F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8',
    );
  });

  it('generates an EC P-256 key on the card, signs a hash after the certificate password; openssl verifies', () => {
    const c = ready();
    expect(tx(c, '00 46 00 01')).toBe('6982'); // certificate password first
    expect(tx(c, `00 20 00 90 08 ${pinBlock('246810')}`)).toBe('9000');
    const gen = txGet(c, '00 46 00 01 03 800111');
    expect(gen.sw).toBe(0x9000);
    expect(hexOf(gen.data).slice(0, 10)).toBe('7F49438641');
    const spki = derFromPaddedFile(readFile(c, '6F11', 320))!;
    const point = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({
      format: 'jwk',
    });
    expect(hexOf(gen.data.subarray(6, 38))).toBe(
      Buffer.from(point.x!, 'base64url').toString('hex').toUpperCase(),
    );
    // The password authorises one signature.
    const data = Buffer.from('transaction history: 2 items, 1234 JPY, shop 1111111111');
    const sig = sign(c, data);
    expect(tx(c, `00 2A 9E 9A 20 ${'00'.repeat(32)}`)).toBe('6982');
    expect(opensslVerify(spki, data, sig, 'ec')).toContain('Verified OK');
    expect(
      verify('sha256', data, createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), sig),
    ).toBe(true);
  });

  it('RSA-2048 PKCS#1 v1.5 with MSE SET; a test-CA certificate for the card key is stored and verified', () => {
    const c = ready();
    tx(c, `00 20 00 90 08 ${pinBlock('246810')}`);
    const gen = txGet(c, '00 46 00 02 05 AC03800107');
    expect(gen.sw).toBe(0x9000);
    expect(hexOf(gen.data).slice(0, 14)).toBe('7F4982010981820100'.slice(0, 14));
    expect(tx(c, '00 22 41 B6 06 840102800101')).toBe('9000');
    const spki = derFromPaddedFile(readFile(c, '6F21', 320))!;
    // The seed-000 flow signs a transaction history sent by the terminal.
    const data = Buffer.from(
      JSON.stringify({
        phone: '+447700900123',
        items: [{ goods: 'Coffee', qty: 2, price: 450 }],
        total: 900,
        at: '2026-11-21T09:00:00Z',
      }),
    );
    const sig = sign(c, data);
    expect(sig.length).toBe(256);
    expect(opensslVerify(spki, data, sig, 'rsa')).toContain('Verified OK');
    // Wrong algorithm for the key: 6985.
    expect(tx(c, '00 22 41 B6 06 840102800102')).toBe('9000');
    tx(c, `00 20 00 90 08 ${pinBlock('246810')}`);
    expect(tx(c, `00 2A 9E 9A 20 ${'00'.repeat(32)}`)).toBe('6985');

    // A test CA issues a certificate for the card's public key; the card stores it (UPDATE, CHV1).
    const pem = join(dir, 'card-rsa.pem');
    writeFileSync(
      pem,
      createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({
        format: 'pem',
        type: 'spki',
      }),
    );
    execFileSync(
      OPENSSL,
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'ca.key'),
        '-out',
        join(dir, 'ca.pem'),
        '-subj',
        '/CN=benchtwin test CA',
        '-days',
        '2',
      ],
      { stdio: 'ignore' },
    );
    execFileSync(
      OPENSSL,
      [
        'x509',
        '-new',
        '-force_pubkey',
        pem,
        '-subj',
        '/CN=phone 1234567',
        '-CA',
        join(dir, 'ca.pem'),
        '-CAkey',
        join(dir, 'ca.key'),
        '-days',
        '1',
        '-outform',
        'DER',
        '-out',
        join(dir, 'card.der'),
      ],
      { stdio: 'ignore' },
    );
    const der = execFileSync('cat', [join(dir, 'card.der')]);
    tx(c, '00 A4 00 0C 02 6F22');
    for (let off = 0; off < der.length; off += 0xff) {
      const chunk = der.subarray(off, off + 0xff);
      expect(tx(c, `00 D6 ${off.toString(16).padStart(4, '0')} ${lc(chunk)} ${hexOf(chunk)}`)).toBe('9000');
    }
    const stored = derFromPaddedFile(readFile(c, '6F22', 2048))!;
    expect(Buffer.from(stored).equals(der)).toBe(true);
    writeFileSync(join(dir, 'stored.der'), stored);
    execFileSync(OPENSSL, [
      'x509',
      '-inform',
      'DER',
      '-in',
      join(dir, 'stored.der'),
      '-out',
      join(dir, 'stored.pem'),
    ]);
    expect(
      execFileSync(OPENSSL, ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'stored.pem')]).toString(),
    ).toContain('OK');
    execFileSync(OPENSSL, [
      'x509',
      '-in',
      join(dir, 'stored.pem'),
      '-pubkey',
      '-noout',
      '-out',
      join(dir, 'cert-pub.pem'),
    ]);
    writeFileSync(join(dir, 'rsa.sig'), sig);
    expect(
      execFileSync(OPENSSL, [
        'dgst',
        '-sha256',
        '-verify',
        join(dir, 'cert-pub.pem'),
        '-signature',
        join(dir, 'rsa.sig'),
        join(dir, 'rsa.data'),
      ]).toString(),
    ).toContain('Verified OK');
  });

  it('works in the GSM class too (9Fxx + GET RESPONSE), and is absent from cards without it', () => {
    const plain = card(GSM);
    tx(plain, `A0 20 00 01 08 ${pinBlock('0000')}`);
    expect(tx(plain, 'A0 46 00 01')).toBe('6D00');
    const c = card({ ...fixture(GSM), certificate: { password: '1357' } });
    expect(tx(c, 'A0 A4 00 00 02 7F51')).toBe('9F16');
    tx(c, `A0 20 00 01 08 ${pinBlock('0000')}`);
    expect(tx(c, `A0 20 00 90 08 ${pinBlock('1358')}`)).toBe('9804');
    expect(tx(c, `A0 20 00 90 08 ${pinBlock('1357')}`)).toBe('9000');
    const gen = txGet(c, 'A0 46 00 01');
    expect(gen.sw).toBe(0x9000);
    tx(c, `A0 20 00 90 08 ${pinBlock('1357')}`);
    const data = Buffer.from('offline kiosk challenge 42');
    const first = txr(c, `A0 2A 9E 9A 20 ${hexOf(createHash('sha256').update(data).digest())}`);
    expect(first.sw >> 8).toBe(0x9f);
    const sig = txr(c, `A0 C0 00 00 ${(first.sw & 0xff).toString(16).padStart(2, '0')}`);
    expect(sig.sw).toBe(0x9000);
    tx(c, 'A0 A4 00 00 02 6F11');
    const spki = derFromPaddedFile(
      Uint8Array.from(Buffer.concat([txr(c, 'A0 B0 00 00 FF').data, txr(c, 'A0 B0 00 FF 41').data])),
    )!;
    expect(opensslVerify(spki, data, sig.data, 'gsm-ec')).toContain('Verified OK');
  });

  it('the private key is readable by no READ BINARY/RECORD on any file, whatever is verified', () => {
    const c = ready();
    tx(c, `00 20 00 90 08 ${pinBlock('246810')}`);
    expect(txGet(c, '00 46 00 01').sw).toBe(0x9000);
    expect(txGet(c, '00 46 00 02 03 800107').sw).toBe(0x9000);
    tx(c, `00 20 00 81 08 ${pinBlock('5678')}`);
    tx(c, `00 20 00 0A 08 ${pinBlock('88888888')}`);
    const img = decodeCardImage(c.image());
    if (!img.ok) throw new Error(img.error);
    const secrets = img.value.keys.flatMap((k) => {
      const jwk = createPrivateKey({ key: Buffer.from(k.privateKey), format: 'der', type: 'pkcs8' }).export({
        format: 'jwk',
      });
      const parts = [jwk.d, jwk.p, jwk.q]
        .filter((x): x is string => !!x)
        .map((x) => Buffer.from(x, 'base64url'));
      expect(parts.length).toBe(k.algorithm === 'ec-p256' ? 1 : 3);
      // Any 16-byte window of a private value would betray it.
      return [
        Buffer.from(k.privateKey),
        ...parts.map((p) => p.subarray(0, 16)),
        ...parts.map((p) => p.subarray(-16)),
      ];
    });
    const seen: Buffer[] = [];
    for (const f of img.value.files.filter((x) => x.type === 'ef')) {
      const path = f.path
        .slice(1)
        .map((x) => x.toString(16).padStart(4, '0'))
        .join('');
      const sel = tx(c, `00 A4 08 0C ${lc(bytesOf(path))} ${path}`);
      if (sel !== '9000') continue; // ADF files are reached through the AID
      if (f.structure === 'transparent') {
        for (let off = 0; off < f.data!.length; off += 0xff) {
          seen.push(
            Buffer.from(
              txr(
                c,
                `00 B0 ${off.toString(16).padStart(4, '0')} ${Math.min(0xff, f.data!.length - off)
                  .toString(16)
                  .padStart(2, '0')}`,
              ).data,
            ),
          );
        }
      } else {
        for (let n = 1; n <= f.recordCount!; n++)
          seen.push(
            Buffer.from(
              txr(
                c,
                `00 B2 ${n.toString(16).padStart(2, '0')} 04 ${f.recordLength!.toString(16).padStart(2, '0')}`,
              ).data,
            ),
          );
      }
    }
    tx(c, '00 A4 04 0C 07 A0000000871002');
    for (let sfi = 1; sfi <= 30; sfi++)
      seen.push(Buffer.from(txr(c, `00 B0 ${(0x80 | sfi).toString(16)} 00 00`).data));
    const all = Buffer.concat(seen);
    expect(all.length).toBeGreaterThan(5000);
    for (const s of secrets) expect(all.includes(s)).toBe(false);
  });
});
