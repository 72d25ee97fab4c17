/**
 * The bench CA checked by openssl (Debian's OpenSSL 3, an independent X.509 implementation): chains,
 * extensions, CSRs made by `openssl req`, CRLs (RFC 5280 §5) and revocation; the CA folder on disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../devices/serial/faults.js';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { CaError, CertificateAuthority } from '../../../services/ca/authority.js';
import { CA_FILES } from '../../../services/ca/store.js';
import { normalizeSerialHex, randomSerialHex } from '../../../services/ca/x509.js';
import { makeCsr, openssl, pemBody, tempDir, toPem, writeIn } from './helpers.js';

const HOST = 'gateway.benchtwin.test';

function caErrorCode(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof CaError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('CertificateAuthority against openssl (independent peer)', () => {
  const tmp = tempDir();
  const dir = path.join(tmp.dir, 'ca');
  let ca: CertificateAuthority;
  let work: string;

  beforeAll(() => {
    ca = CertificateAuthority.create({ dir, clock: new VirtualClock() });
    work = path.join(tmp.dir, 'work');
    fs.mkdirSync(work);
    writeIn(work, 'root.pem', ca.trustAnchors());
    writeIn(work, 'issuing.pem', ca.issuingCertificate());
  });
  afterAll(() => tmp.remove());

  it('openssl x509: the root is self-signed with pathlen 1, the issuing CA has pathlen 0 (RFC 5280 §4.2.1.9)', () => {
    const root = openssl(['x509', '-in', 'root.pem', '-noout', '-text'], work);
    expect(root.status).toBe(0);
    expect(root.stdout).toMatch(/CA:TRUE, pathlen:1/);
    expect(root.stdout).toMatch(/Certificate Sign, CRL Sign/);
    const issuing = openssl(['x509', '-in', 'issuing.pem', '-noout', '-text'], work);
    expect(issuing.stdout).toMatch(/CA:TRUE, pathlen:0/);
    expect(issuing.stdout).toMatch(/Issuer: O = benchtwin, CN = benchtwin Root CA/);
    expect(openssl(['verify', '-CAfile', 'root.pem', 'issuing.pem'], work).status).toBe(0);
  });

  it('openssl verify -CAfile root -untrusted issuing accepts a server certificate; x509 -text shows SAN and serverAuth', () => {
    const id = ca.issueServerCertificate({ commonName: HOST, dnsNames: [HOST], ipAddresses: ['127.0.0.1'] });
    writeIn(work, 'server.pem', id.cert);
    const verify = openssl(
      ['verify', '-CAfile', 'root.pem', '-untrusted', 'issuing.pem', '-purpose', 'sslserver', 'server.pem'],
      work,
    );
    expect(verify.stdout + verify.stderr).toContain('server.pem: OK');
    const text = openssl(['x509', '-in', 'server.pem', '-noout', '-text', '-serial'], work).stdout;
    expect(text).toContain(`DNS:${HOST}, IP Address:127.0.0.1`);
    expect(text).toMatch(/Extended Key Usage: *\n *TLS Web Server Authentication/);
    expect(text).toMatch(/CA:FALSE/);
    // The serial openssl reads is the one we keep: positive, not forge's negative reading of a high bit.
    expect(text).toContain(`serial=${id.serialHex.toUpperCase()}`);
    expect(id.chain).toBe(ca.issuingCertificate());
    // The key belongs to the certificate.
    writeIn(work, 'server.key', id.key);
    const fromKey = openssl(['pkey', '-in', 'server.key', '-pubout'], work).stdout;
    const fromCert = openssl(['x509', '-in', 'server.pem', '-noout', '-pubkey'], work).stdout;
    expect(fromKey).toBe(fromCert);
  });

  it('openssl verify refuses a server certificate against a different root', () => {
    const other = tempDir();
    try {
      const stranger = CertificateAuthority.create({ dir: other.dir, clock: new VirtualClock() });
      writeIn(work, 'stranger-root.pem', stranger.trustAnchors());
      writeIn(work, 'server2.pem', ca.issueServerCertificate({ commonName: HOST, dnsNames: [HOST] }).cert);
      const r = openssl(
        ['verify', '-CAfile', 'stranger-root.pem', '-untrusted', 'issuing.pem', 'server2.pem'],
        work,
      );
      expect(r.status).not.toBe(0);
    } finally {
      other.remove();
    }
  });

  it('signs a CSR made by openssl req (client profile: clientAuth), openssl verify accepts it', () => {
    const req = openssl(
      [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'pos.key',
        '-subj',
        '/O=Shop/CN=pos-0001',
        '-out',
        'pos.csr',
      ],
      work,
    );
    expect(req.status).toBe(0);
    const signed = ca.signCsr(fs.readFileSync(path.join(work, 'pos.csr'), 'utf8'), { profile: 'client' });
    writeIn(work, 'pos.pem', signed.cert);
    const verify = openssl(
      ['verify', '-CAfile', 'root.pem', '-untrusted', 'issuing.pem', '-purpose', 'sslclient', 'pos.pem'],
      work,
    );
    expect(verify.stdout).toContain('pos.pem: OK');
    const text = openssl(['x509', '-in', 'pos.pem', '-noout', '-text'], work).stdout;
    expect(text).toMatch(/Subject: O = Shop, CN = pos-0001/);
    expect(text).toMatch(/Extended Key Usage: *\n *TLS Web Client Authentication/);
    expect(text).not.toMatch(/TLS Web Server Authentication/);
    expect(openssl(['x509', '-in', 'pos.pem', '-noout', '-pubkey'], work).stdout).toBe(
      openssl(['pkey', '-in', 'pos.key', '-pubout'], work).stdout,
    );
  });

  it('device profile: non-repudiation for signing, the subject override replaces the CSR subject', () => {
    const { csr } = makeCsr('whatever the phone says');
    const signed = ca.signCsr(csr, {
      profile: 'device',
      subjectOverride: { commonName: 'device-355000000000001' },
    });
    writeIn(work, 'device.pem', signed.cert);
    const text = openssl(['x509', '-in', 'device.pem', '-noout', '-text'], work).stdout;
    expect(text).toMatch(/Subject: CN = device-355000000000001/);
    expect(text).toMatch(/Digital Signature, Non Repudiation/);
    expect(text).toMatch(/TLS Web Client Authentication/);
  });

  it('refuses a tampered CSR (openssl req -verify refuses it too) and an EC key', () => {
    openssl(
      [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        't.key',
        '-subj',
        '/CN=pos-0001',
        '-out',
        't.csr',
      ],
      work,
    );
    const der = pemBody(fs.readFileSync(path.join(work, 't.csr'), 'utf8'));
    const at = der.indexOf(Buffer.from('pos-0001'));
    expect(at).toBeGreaterThan(0);
    der[at + 7] = '2'.charCodeAt(0); // the subject now says pos-0002; the signature covers pos-0001
    const tampered = toPem('CERTIFICATE REQUEST', der);
    writeIn(work, 'tampered.csr', tampered);
    // OpenSSL 3 exits 0 here but says so on stderr.
    const peer = openssl(['req', '-in', 'tampered.csr', '-noout', '-verify'], work);
    expect(peer.stdout + peer.stderr).toContain('self-signature verify failure');
    expect(caErrorCode(() => ca.signCsr(tampered, { profile: 'client' }))).toBe('bad-csr');

    openssl(
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'ec.key',
        '-subj',
        '/CN=ec',
        '-out',
        'ec.csr',
      ],
      work,
    );
    expect(
      caErrorCode(() =>
        ca.signCsr(fs.readFileSync(path.join(work, 'ec.csr'), 'utf8'), { profile: 'client' }),
      ),
    ).toBe('unsupported-key');
    expect(caErrorCode(() => ca.signCsr('not a CSR', { profile: 'client' }))).toBe('bad-csr');
  });

  it('openssl crl -verify accepts the CRL (RFC 5280 §5): v2, serial, revocation date, reason code, CRL number', () => {
    const a = ca.issueServerCertificate({ commonName: 'a', dnsNames: ['a.benchtwin.test'] });
    const b = ca.issueServerCertificate({ commonName: 'b', dnsNames: ['b.benchtwin.test'] });
    const before = openssl(['crl', '-noout', '-crlnumber'], work, ca.crl()).stdout;
    ca.revoke(a.serialHex.toUpperCase(), 'keyCompromise');
    const crl = ca.crl();
    writeIn(work, 'issuing.crl', crl);
    const r = openssl(
      ['crl', '-in', 'issuing.crl', '-noout', '-text', '-CAfile', 'issuing.pem', '-verify'],
      work,
    );
    expect(r.stderr).toContain('verify OK');
    expect(r.stdout).toMatch(/Version 2 \(0x1\)/);
    expect(r.stdout).toMatch(/Issuer: O = benchtwin, CN = benchtwin Issuing CA 1/);
    expect(r.stdout).toContain(`Serial Number: ${a.serialHex.toUpperCase()}`);
    expect(r.stdout).toMatch(/Revocation Date: \w{3} +\d+ \d\d:\d\d:\d\d \d{4} GMT/);
    expect(r.stdout).toMatch(/CRL Reason Code: *\n *Key Compromise/);
    expect(r.stdout).toMatch(/Next Update: /);
    expect(r.stdout).not.toContain(b.serialHex.toUpperCase());
    const number = (s: string): number => parseInt(s.split('=')[1]!, 16);
    expect(number(openssl(['crl', '-noout', '-crlnumber'], work, crl).stdout)).toBeGreaterThan(
      number(before),
    );

    // openssl verify with the CRLs: the revoked leaf is refused, its sibling accepted.
    writeIn(work, 'root.crl', ca.crls()[1]!);
    writeIn(work, 'a.pem', a.cert);
    writeIn(work, 'b.pem', b.cert);
    const args = [
      'verify',
      '-crl_check_all',
      '-CAfile',
      'root.pem',
      '-untrusted',
      'issuing.pem',
      '-CRLfile',
      'issuing.crl',
      '-CRLfile',
      'root.crl',
    ];
    const revoked = openssl([...args, 'a.pem'], work);
    expect(revoked.status).not.toBe(0);
    expect(revoked.stdout + revoked.stderr).toContain('certificate revoked');
    expect(openssl([...args, 'b.pem'], work).stdout).toContain('b.pem: OK');
  });

  it('the root CRL verifies under the root and lists nothing', () => {
    writeIn(work, 'root-only.crl', ca.crls()[1]!);
    const r = openssl(
      ['crl', '-in', 'root-only.crl', '-noout', '-text', '-CAfile', 'root.pem', '-verify'],
      work,
    );
    expect(r.stderr).toContain('verify OK');
    expect(r.stdout).toContain('No Revoked Certificates');
  });

  it('refuses an unknown serial, a bad reason, bad host names and addresses with CaError codes', () => {
    expect(caErrorCode(() => ca.revoke('0badc0de'))).toBe('unknown-serial');
    expect(caErrorCode(() => ca.revoke('xyz'))).toBe('unknown-serial');
    const someSerial = ca.issuedCertificates()[0]!.serialHex;
    expect(caErrorCode(() => ca.revoke(someSerial, 'becauseIsaidso' as never))).toBe('bad-request');
    expect(caErrorCode(() => ca.issueServerCertificate({ commonName: 'x', dnsNames: ['bad host!'] }))).toBe(
      'bad-request',
    );
    expect(
      caErrorCode(() =>
        ca.issueServerCertificate({ commonName: 'x', dnsNames: [], ipAddresses: ['300.1.1.1'] }),
      ),
    ).toBe('bad-request');
    expect(caErrorCode(() => ca.issueServerCertificate({ commonName: 'x', dnsNames: [] }))).toBe(
      'bad-request',
    );
    expect(caErrorCode(() => CertificateAuthority.create({ dir, clock: new VirtualClock() }))).toBe('exists');
  });

  it('keeps its state on disk: open() reads serials and revocations back; keys are mode 0600', () => {
    const reopened = CertificateAuthority.open(dir, { clock: new VirtualClock() });
    expect(reopened.trustAnchors()).toBe(ca.trustAnchors());
    expect(reopened.issuedCertificates()).toEqual(ca.issuedCertificates());
    const revoked = ca.issuedCertificates().filter((c) => c.revoked);
    expect(revoked).toHaveLength(1);
    const crl = reopened.crl();
    expect(openssl(['crl', '-noout', '-text'], work, crl).stdout).toContain(
      revoked[0]!.serialHex.toUpperCase(),
    );
    for (const key of [CA_FILES.rootKey, CA_FILES.issuingKey]) {
      expect(fs.statSync(path.join(dir, key)).mode & 0o777).toBe(0o600);
    }
    // Every listed certificate has its file, and the file is the certificate with that serial.
    for (const c of reopened.issuedCertificates()) {
      const serial = openssl(['x509', '-noout', '-serial'], work, c.certificate).stdout.trim();
      expect(serial).toBe(`serial=${c.serialHex.toUpperCase()}`);
    }
  });

  it('open() refuses a folder whose issuing CA was not signed by its root, and a folder without a CA', () => {
    const other = tempDir();
    try {
      const copy = path.join(other.dir, 'copy');
      fs.cpSync(dir, copy, { recursive: true });
      const stranger = CertificateAuthority.create({
        dir: path.join(other.dir, 'stranger'),
        clock: new VirtualClock(),
      });
      fs.writeFileSync(path.join(copy, CA_FILES.rootCert), stranger.trustAnchors());
      fs.copyFileSync(path.join(other.dir, 'stranger', CA_FILES.rootKey), path.join(copy, CA_FILES.rootKey));
      expect(caErrorCode(() => CertificateAuthority.open(copy, { clock: new VirtualClock() }))).toBe(
        'corrupt',
      );
      expect(caErrorCode(() => CertificateAuthority.open(other.dir, { clock: new VirtualClock() }))).toBe(
        'missing',
      );
    } finally {
      other.remove();
    }
  });
});

describe('CA calendar time follows the clock (epochAtClockZero + clock.now())', () => {
  it('notBefore, notAfter and the CRL dates move with a virtual clock', () => {
    const tmp = tempDir();
    try {
      const clock = new VirtualClock();
      const epoch = Date.UTC(2030, 0, 1);
      const ca = CertificateAuthority.create({ dir: tmp.dir, clock, epochAtClockZero: epoch });
      clock.advance(10 * 86_400_000);
      const id = ca.issueServerCertificate({
        commonName: 'x',
        dnsNames: ['x.benchtwin.test'],
        validityDays: 30,
      });
      const dates = openssl(['x509', '-noout', '-startdate', '-enddate'], tmp.dir, id.cert).stdout;
      // One hour of backdating for peers whose clocks lag.
      expect(dates).toContain('notBefore=Jan 10 23:00:00 2030 GMT');
      expect(dates).toContain('notAfter=Feb 10 00:00:00 2030 GMT');
      const crl = openssl(['crl', '-noout', '-lastupdate', '-nextupdate'], tmp.dir, ca.crl()).stdout;
      expect(crl).toContain('lastUpdate=Jan 10 23:00:00 2030 GMT');
      expect(crl).toContain('nextUpdate=Jan 18 00:00:00 2030 GMT');
      // A leaf never outlives its issuing CA.
      const long = ca.issueServerCertificate({
        commonName: 'y',
        dnsNames: ['y.benchtwin.test'],
        validityDays: 100_000,
      });
      const issuingEnd = openssl(['x509', '-noout', '-enddate'], tmp.dir, ca.issuingCertificate()).stdout;
      expect(openssl(['x509', '-noout', '-enddate'], tmp.dir, long.cert).stdout).toBe(issuingEnd);
    } finally {
      tmp.remove();
    }
  });
});

describe('serial numbers (RFC 5280 §4.1.2.2: positive, ≤ 20 octets)', () => {
  it('property: random serials are 16 octets, positive and minimal', () => {
    fc.assert(
      fc.property(fc.integer(), () => {
        const s = randomSerialHex();
        expect(s).toMatch(/^[0-9a-f]{32}$/);
        const first = parseInt(s.slice(0, 2), 16);
        expect(first).toBeGreaterThan(0);
        expect(first).toBeLessThan(0x80);
        expect(normalizeSerialHex(s)).toBe(s);
      }),
      { numRuns: 500 },
    );
  });

  it('property: normalizeSerialHex ignores case, colons and leading zeros, and keeps the value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 159n) - 1n }), fc.nat(3), (n, zeros) => {
        const hex = '0'.repeat(zeros) + n.toString(16).toUpperCase();
        const normal = normalizeSerialHex(hex)!;
        expect(BigInt('0x' + normal)).toBe(n);
        expect(normal.length % 2).toBe(0);
        expect(parseInt(normal.slice(0, 2), 16) < 0x80).toBe(true);
        expect(normalizeSerialHex(normal.match(/../g)!.join(':'))).toBe(normal);
      }),
    );
  });
});

describe('signCsr on bad input: a CaError, never another throw, never a certificate for a forged request', () => {
  const tmp = tempDir();
  let ca: CertificateAuthority;
  const original = makeCsr('pos-fuzz');
  const parsed = forge.pki.certificationRequestFromPem(original.csr);
  const originalKey = forge.pki.publicKeyToPem(parsed.publicKey!);
  beforeAll(() => {
    ca = CertificateAuthority.create({ dir: tmp.dir, clock: new VirtualClock() });
  });
  afterAll(() => tmp.remove());

  const check = (pem: string): void => {
    let result;
    try {
      result = ca.signCsr(pem, { profile: 'client' });
    } catch (err) {
      expect(err).toBeInstanceOf(CaError);
      expect(['bad-csr', 'unsupported-key']).toContain((err as CaError).code);
      return;
    }
    // Accepted only if the request still says what its key signed (a harmless mutation, e.g. padding).
    const cert = forge.pki.certificateFromPem(result.cert);
    expect(forge.pki.publicKeyToPem(cert.publicKey)).toBe(originalKey);
    expect(cert.subject.getField('CN')?.value).toBe('pos-fuzz');
  };

  it('property: arbitrary bytes in a CERTIFICATE REQUEST PEM', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => check(toPem('CERTIFICATE REQUEST', bytes))),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string(), (text) => check(text)),
      { numRuns: 200 },
    );
  });

  it('fuzz: 1500 seeded mutations of a valid CSR (mulberry32, seed 0xca)', () => {
    const der = pemBody(original.csr);
    const random = mulberry32(0xca);
    let refused = 0;
    for (let i = 0; i < 1500; i++) {
      const m = Buffer.from(der);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(random() * m.length);
        m[at] = m[at]! ^ (1 + Math.floor(random() * 255));
      }
      const cut = random() < 0.1 ? m.subarray(0, Math.floor(random() * m.length)) : m;
      const before = ca.issuedCertificates().length;
      check(toPem('CERTIFICATE REQUEST', cut));
      if (ca.issuedCertificates().length === before) refused++;
    }
    expect(refused).toBeGreaterThan(1400);
  });
});
