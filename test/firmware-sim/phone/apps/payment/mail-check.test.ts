/**
 * checkMail (the phone's step-5 check of a gateway mail, `Mail` in payment/gateway-api.ts) against
 * certificates and signatures made by the openssl command line as an independent peer: `openssl dgst
 * -sha256 -sign` over canonicalMailBody for EC P-256 and RSA-2048 keys, a root → intermediate → leaf
 * chain, validity at the phone's calendar time; property and seeded fuzz runs on arbitrary and mutated mails.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../../devices/serial/faults.js';
import type { Mail } from '../../../../../firmware-sim/payment/gateway-api.js';
import { canonicalMailBody } from '../../../../../firmware-sim/payment/gateway-api.js';
import { checkMail } from '../../../../../firmware-sim/phone/apps/payment/mail-check.js';
import { openssl, opensslCa, opensslLeaf } from '../../../../openssl-pki.js';
import { HOST, PAYMENT_SERVER, hasOpenssl } from './stand-in-gateway.js';

let dir: string;
const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');

const LEAF = { san: `DNS:${HOST}` };

/** A payment-request mail signed by openssl with `<signer>.key`; `certificate` is the given PEM text. */
function opensslMail(signer: string, certificate: string, messageId = 'M1'): Mail {
  const body = {
    messageId,
    kind: 'payment-request' as const,
    from: HOST,
    sentAt: '2026-01-01T00:00:00Z',
    commands: {
      application: 'seed001-payment' as const,
      action: 'pay' as const,
      transactionId: 'T-1',
      paymentServer: PAYMENT_SERVER,
    },
  };
  fs.writeFileSync(path.join(dir, 'body.txt'), canonicalMailBody(body));
  const sig = openssl(dir, ['dgst', '-sha256', '-sign', `${signer}.key`, 'body.txt']);
  return { ...body, certificate, signature: sig.toString('base64') };
}

let now: number;
const opts = (trustedCas: string[] = [read('root.pem')], nowMs = now) => ({
  trustedCas,
  gatewayHost: HOST,
  nowMs,
});

beforeAll(() => {
  if (!hasOpenssl) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-mailcheck-'));
  opensslCa(dir, 'root');
  opensslCa(dir, 'other');
  opensslLeaf(dir, 'root', 'ecleaf', LEAF);
  opensslLeaf(dir, 'root', 'rsaleaf', { ...LEAF, key: 'rsa' });
  opensslLeaf(dir, 'root', 'inter', {
    ext: 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n',
  });
  opensslLeaf(dir, 'inter', 'deep', LEAF);
  now = Date.parse(new X509Certificate(read('ecleaf.pem')).validFrom) + 60_000;
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasOpenssl)(
  `checkMail against openssl-made certificates and signatures${hasOpenssl ? '' : ' (skipped: openssl command not found)'}`,
  () => {
    it('openssl dgst -sha256 -sign over canonicalMailBody verifies: EC P-256 (ECDSA) and RSA-2048 (PKCS#1 v1.5)', () => {
      expect(checkMail(opensslMail('ecleaf', read('ecleaf.pem')), opts())).toMatchObject({ ok: true });
      expect(checkMail(opensslMail('rsaleaf', read('rsaleaf.pem')), opts())).toMatchObject({ ok: true });
    });

    it('root → intermediate → leaf: accepted with the intermediate in the certificate field, refused without it', () => {
      const bundle = read('deep.pem') + read('inter.pem');
      expect(checkMail(opensslMail('deep', bundle), opts())).toMatchObject({ ok: true });
      expect(checkMail(opensslMail('deep', read('deep.pem')), opts())).toEqual({
        ok: false,
        reason: 'certificate does not chain to a trusted CA',
      });
      // Trusting the intermediate itself is enough for its leaf.
      expect(checkMail(opensslMail('deep', read('deep.pem')), opts([read('inter.pem')]))).toMatchObject({
        ok: true,
      });
    });

    it("validity is judged at the phone's calendar time; a CA certificate may not sign mails; an unreadable trust entry trusts nothing", () => {
      const mail = opensslMail('ecleaf', read('ecleaf.pem'));
      const cert = new X509Certificate(read('ecleaf.pem'));
      const expired = { ok: false, reason: 'certificate expired or not yet valid' };
      expect(checkMail(mail, opts(undefined, Date.parse(cert.validFrom) - 1000))).toEqual(expired);
      expect(checkMail(mail, opts(undefined, Date.parse(cert.validTo) + 1000))).toEqual(expired);
      expect(checkMail(opensslMail('root', read('root.pem')), opts())).toEqual({
        ok: false,
        reason: 'the signing certificate is a CA certificate',
      });
      expect(checkMail(mail, opts(['not a pem', read('root.pem')]))).toMatchObject({ ok: true });
      expect(checkMail(mail, opts(['not a pem']))).toMatchObject({ ok: false });
      expect(checkMail(mail, opts([read('other.pem')]))).toMatchObject({ ok: false });
      expect(checkMail(mail, { ...opts(), gatewayHost: 'shop.benchtwin.test' })).toEqual({
        ok: false,
        reason: 'certificate does not name shop.benchtwin.test',
      });
    });

    it('property: arbitrary values and arbitrary mail-shaped objects never throw and are refused', () => {
      const o = opts();
      fc.assert(
        fc.property(fc.anything(), (v) => {
          expect(checkMail(v, o).ok).toBe(false);
        }),
        { numRuns: 300 },
      );
      const good = opensslMail('ecleaf', read('ecleaf.pem'));
      fc.assert(
        fc.property(
          fc.record({
            messageId: fc.oneof(fc.string(), fc.anything()),
            kind: fc.constantFrom('payment-request', 'confirmation-request', 'x'),
            commands: fc.oneof(fc.object(), fc.constant(good.commands)),
            signature: fc.oneof(fc.base64String(), fc.constant(good.signature)),
          }),
          (patch) => {
            const r = checkMail({ ...good, ...patch }, o);
            const same =
              patch.messageId === good.messageId &&
              patch.kind === good.kind &&
              patch.commands === good.commands &&
              patch.signature === good.signature;
            expect(r.ok).toBe(same);
          },
        ),
        { numRuns: 200 },
      );
    });

    it('fuzz (seeded mulberry32, 400 runs): one changed character, signature bit or certificate bit is always refused', () => {
      const good = opensslMail('ecleaf', read('ecleaf.pem'));
      const rnd = mulberry32(0x000f00d1);
      const o = opts();
      const flip = (b: Buffer): Buffer => {
        const c = Buffer.from(b);
        const i = Math.floor(rnd() * c.length);
        c[i] = c[i]! ^ (1 << Math.floor(rnd() * 8));
        return c;
      };
      const change = (s: string): string => {
        const i = Math.floor(rnd() * s.length);
        const ch = String.fromCharCode(0x21 + ((s.charCodeAt(i) - 0x21 + 1 + Math.floor(rnd() * 90)) % 94));
        return s.slice(0, i) + ch + s.slice(i + 1);
      };
      const der = new X509Certificate(good.certificate).raw;
      for (let n = 0; n < 400; n++) {
        const m = structuredClone(good) as Mail & { commands: Record<string, string> };
        const what = Math.floor(rnd() * 7);
        if (what === 0) m.messageId = change(m.messageId);
        else if (what === 1) m.from = change(m.from);
        else if (what === 2) m.sentAt = change(m.sentAt);
        else if (what === 3) m.commands['transactionId'] = change(m.commands['transactionId']!);
        else if (what === 4) m.commands['paymentServer'] = change(m.commands['paymentServer']!);
        else if (what === 5) m.signature = flip(Buffer.from(m.signature, 'base64')).toString('base64');
        else {
          const b64 = flip(der).toString('base64').replace(/.{64}/g, '$&\n');
          m.certificate = `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
        }
        const r = checkMail(m, o);
        expect(r.ok, `mutation ${n} (${what})`).toBe(false);
      }
    });
  },
);
