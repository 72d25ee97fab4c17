/**
 * CRLs built by hand with forge.asn1 (RFC 5280 §5), checked two ways: openssl crl -verify and -text as
 * the independent peer, and our own decoding of the DER for the exact serials, dates and reason codes.
 */
import crypto from 'node:crypto';
import fc from 'fast-check';
import forge from 'node-forge';
import { afterAll, describe, expect, it } from 'vitest';
import { CRL_REASONS, buildCrlPem, type CrlReason, type RevokedEntry } from '../../../services/ca/crl.js';
import {
  generateRsaKeyPair,
  keyIdentifier,
  normalizeSerialHex,
  randomSerialHex,
  signCertificate,
  subjectAttributes,
  wholeSeconds,
} from '../../../services/ca/x509.js';
import { openssl, pemBody, tempDir, writeIn } from './helpers.js';

const { asn1, pki } = forge;

// One self-signed CRL issuer for all runs.
const keys = generateRsaKeyPair();
const issuerKey = crypto.createPrivateKey(keys.privateKeyPem);
const issuerCert = pki.createCertificate();
issuerCert.publicKey = pki.publicKeyFromPem(keys.publicKeyPem);
issuerCert.serialNumber = randomSerialHex();
issuerCert.validity.notBefore = wholeSeconds(Date.now() - 86_400_000);
issuerCert.validity.notAfter = wholeSeconds(Date.now() + 86_400_000 * 365);
const issuerName = subjectAttributes({ organizationName: 'benchtwin', commonName: 'CRL test issuer' });
issuerCert.setSubject(issuerName);
issuerCert.setIssuer(issuerName);
issuerCert.setExtensions([
  { name: 'basicConstraints', critical: true, cA: true },
  { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true },
  { name: 'subjectKeyIdentifier' },
]);
signCertificate(issuerCert, issuerKey);
const issuerPem = pki.certificateToPem(issuerCert);

const reasonNames = Object.keys(CRL_REASONS) as CrlReason[];
const entryArb = fc.record({
  serialHex: fc.bigInt({ min: 1n, max: (1n << 158n) - 1n }).map((n) => normalizeSerialHex(n.toString(16))!),
  revocationDate: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2060, 0, 1) }).map(wholeSeconds),
  reason: fc.constantFrom(...reasonNames),
});

function decodeTime(node: forge.asn1.Asn1): number {
  const text = node.value as string;
  return (
    node.type === asn1.Type.UTCTIME ? asn1.utcTimeToDate(text) : asn1.generalizedTimeToDate(text)
  ).getTime();
}

describe('X.509 v2 CRL encoding (RFC 5280 §5)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  writeIn(tmp.dir, 'issuer.pem', issuerPem);

  it('property: openssl crl -verify accepts it; the DER decodes to the same serials, dates (UTCTime < 2050 ≤ GeneralizedTime) and reasons', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(entryArb, { selector: (e) => e.serialHex, maxLength: 6 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (revoked: RevokedEntry[], crlNumber) => {
          const thisUpdate = wholeSeconds(Date.now() - 3_600_000);
          const nextUpdate = wholeSeconds(Date.now() + 7 * 86_400_000);
          const pem = buildCrlPem(
            {
              issuer: issuerCert.subject,
              issuerKeyId: keyIdentifier(issuerCert.publicKey),
              thisUpdate,
              nextUpdate,
              crlNumber,
              revoked,
            },
            issuerKey,
          );
          const peer = openssl(['crl', '-noout', '-text', '-CAfile', 'issuer.pem', '-verify'], tmp.dir, pem);
          expect(peer.stderr).toContain('verify OK');
          const number = openssl(['crl', '-noout', '-crlnumber'], tmp.dir, pem).stdout.trim();
          expect(parseInt(number.replace('crlNumber=0x', ''), 16)).toBe(crlNumber);
          for (const e of revoked)
            expect(peer.stdout).toContain(`Serial Number: ${e.serialHex.replace(/^00/, '').toUpperCase()}`);

          const list = asn1.fromDer(pemBody(pem).toString('binary'));
          const [tbs, , signature] = list.value as forge.asn1.Asn1[];
          const tbsDer = Buffer.from(asn1.toDer(tbs!).getBytes(), 'binary');
          const sig = Buffer.from((signature!.value as string).slice(1), 'binary');
          expect(crypto.verify('sha256', tbsDer, keys.publicKeyPem, sig)).toBe(true);
          const fields = tbs!.value as forge.asn1.Asn1[];
          expect(asn1.derToInteger(fields[0]!.value as string)).toBe(1);
          expect(decodeTime(fields[3]!)).toBe(thisUpdate.getTime());
          expect(decodeTime(fields[4]!)).toBe(nextUpdate.getTime());
          const entries = revoked.length > 0 ? (fields[5]!.value as forge.asn1.Asn1[]) : [];
          expect(fields.length).toBe(revoked.length > 0 ? 7 : 6);
          expect(entries).toHaveLength(revoked.length);
          entries.forEach((entry, i) => {
            const [serial, date, extensions] = entry.value as forge.asn1.Asn1[];
            const want = revoked[i]!;
            expect(forge.util.bytesToHex(serial!.value as string)).toBe(want.serialHex);
            expect(decodeTime(date!)).toBe(want.revocationDate.getTime());
            expect(date!.type).toBe(
              want.revocationDate.getUTCFullYear() < 2050 ? asn1.Type.UTCTIME : asn1.Type.GENERALIZEDTIME,
            );
            if (want.reason === 'unspecified') {
              expect(extensions).toBeUndefined();
            } else {
              const reasonExt = (extensions!.value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[];
              expect(asn1.derToOid(reasonExt[0]!.value as string)).toBe('2.5.29.21');
              const enumerated = asn1.fromDer(reasonExt[1]!.value as string);
              expect(enumerated.type).toBe(asn1.Type.ENUMERATED);
              expect((enumerated.value as string).charCodeAt(0)).toBe(CRL_REASONS[want.reason]);
            }
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});
