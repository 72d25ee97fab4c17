/**
 * The bench's certificate authority: a root CA (self-signed, pathLen 1) and an issuing CA under it
 * (pathLen 0) that signs server certificates, client and device certificates from CSRs, and the CRL.
 * Dates come from the clock's calendar time (`epochAtClockZero + clock.now()`).
 */
import crypto, { X509Certificate, type KeyObject } from 'node:crypto';
import net from 'node:net';
import forge from 'node-forge';
import type { Clock } from '../../firmware-sim/clock.js';
import { buildCrlPem, isCrlReason, type CrlReason, type RevokedEntry } from './crl.js';
import { CA_FILES, CaStore, type CaState, type CertificateProfile, type IssuedRecord } from './store.js';
import {
  generateRsaKeyPair,
  keyIdentifier,
  normalizeSerialHex,
  randomSerialHex,
  signCertificate,
  subjectAttributes,
  wholeSeconds,
  type SubjectName,
} from './x509.js';

const { pki } = forge;
const DAY_MS = 86_400_000;
/** notBefore and thisUpdate lie this far back, so a peer whose clock is slightly behind still accepts them. */
const BACKDATE_MS = 3_600_000;

export type CaErrorCode =
  'exists' | 'missing' | 'corrupt' | 'bad-csr' | 'unsupported-key' | 'bad-request' | 'unknown-serial';

/** Every refusal of the CA: a code a caller can branch on and a sentence a person can read. */
export class CaError extends Error {
  constructor(
    readonly code: CaErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CaError';
  }
}

export interface CaNames {
  organizationName?: string;
  countryName?: string;
  rootCommonName?: string;
  issuingCommonName?: string;
}

export interface CaOptions {
  clock: Clock;
  /**
   * Epoch ms at clock time 0. Default: the wall time now minus clock.now(), on a virtual clock too,
   * because TLS peers (OpenSSL in Node) check validity against the wall clock.
   */
  epochAtClockZero?: number;
  /** Days from thisUpdate to nextUpdate of each CRL (default 7). */
  crlValidityDays?: number;
}

export interface CreateCaOptions extends CaOptions {
  dir: string;
  names?: CaNames;
  /** Default 20 years. */
  rootValidityDays?: number;
  /** Default 10 years. */
  issuingValidityDays?: number;
}

export interface ServerCertificateRequest {
  commonName: string;
  dnsNames: string[];
  ipAddresses?: string[];
  /** Default 397 days; never beyond the issuing CA's own notAfter. */
  validityDays?: number;
}

/** PEM texts: the leaf certificate and the issuing CA certificate that a peer needs to reach the root. */
export interface SignedCertificate {
  serialHex: string;
  cert: string;
  chain: string;
}

/** A server's TLS identity: its private key (PKCS#8 PEM) with its certificate and chain. */
export interface ServerIdentity extends SignedCertificate {
  key: string;
}

export interface SignCsrOptions {
  profile: 'client' | 'device';
  /** Default 365 days (client) or 730 days (device). */
  validityDays?: number;
  /** Replaces the CSR's subject (the CA decides the name, e.g. from its own user table). */
  subjectOverride?: SubjectName;
}

export interface IssuedCertificate extends IssuedRecord {
  certificate: string;
}

interface CaLevel {
  cert: forge.pki.Certificate;
  certPem: string;
  key: KeyObject;
  keyId: string;
}

interface CachedCrl {
  pem: string;
  thisUpdate: number;
}

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function lf(pem: string): string {
  return pem.replace(/\r\n/g, '\n');
}

function describeSubject(attrs: forge.pki.CertificateField[]): string {
  return attrs.map((a) => `${a.shortName ?? a.name ?? a.type}=${String(a.value)}`).join(', ');
}

function loadLevel(certPem: string, keyPem: string): CaLevel {
  const cert = pki.certificateFromPem(certPem);
  return {
    cert,
    certPem: lf(certPem),
    key: crypto.createPrivateKey(keyPem),
    keyId: keyIdentifier(cert.publicKey),
  };
}

export class CertificateAuthority {
  private readonly epoch: number;
  private readonly crlValidityMs: number;
  private readonly crlCache: { issuing?: CachedCrl; root?: CachedCrl } = {};

  private constructor(
    private readonly store: CaStore,
    private readonly clock: Clock,
    private readonly root: CaLevel,
    private readonly issuing: CaLevel,
    private state: CaState,
    options: CaOptions,
  ) {
    this.epoch = options.epochAtClockZero ?? Date.now() - clock.now();
    this.crlValidityMs = (options.crlValidityDays ?? 7) * DAY_MS;
  }

  /** Makes a new root and issuing CA in `dir` (created if needed); refuses a folder that already holds a CA. */
  static create(options: CreateCaOptions): CertificateAuthority {
    const store = new CaStore(options.dir);
    if (store.has(CA_FILES.rootCert) || store.has(CA_FILES.state)) {
      throw new CaError('exists', `${options.dir} already holds a CA: open it instead`);
    }
    store.ensureDirs();
    const epoch = options.epochAtClockZero ?? Date.now() - options.clock.now();
    const now = epoch + options.clock.now();
    const names = options.names ?? {};
    const org = { organizationName: names.organizationName ?? 'benchtwin', countryName: names.countryName };

    const rootKeys = generateRsaKeyPair();
    const rootKey = crypto.createPrivateKey(rootKeys.privateKeyPem);
    const rootCert = pki.createCertificate();
    rootCert.publicKey = pki.publicKeyFromPem(rootKeys.publicKeyPem);
    rootCert.serialNumber = randomSerialHex();
    rootCert.validity.notBefore = wholeSeconds(now - BACKDATE_MS);
    rootCert.validity.notAfter = wholeSeconds(now + (options.rootValidityDays ?? 7305) * DAY_MS);
    const rootName = subjectAttributes({ ...org, commonName: names.rootCommonName ?? 'benchtwin Root CA' });
    rootCert.setSubject(rootName);
    rootCert.setIssuer(rootName);
    const rootKeyId = keyIdentifier(rootCert.publicKey);
    rootCert.setExtensions([
      { name: 'basicConstraints', critical: true, cA: true, pathLenConstraint: 1 },
      { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: rootKeyId },
    ]);
    signCertificate(rootCert, rootKey);

    const issuingKeys = generateRsaKeyPair();
    const issuingCert = pki.createCertificate();
    issuingCert.publicKey = pki.publicKeyFromPem(issuingKeys.publicKeyPem);
    issuingCert.serialNumber = randomSerialHex();
    issuingCert.validity.notBefore = wholeSeconds(now - BACKDATE_MS);
    issuingCert.validity.notAfter = wholeSeconds(
      Math.min(now + (options.issuingValidityDays ?? 3652) * DAY_MS, rootCert.validity.notAfter.getTime()),
    );
    issuingCert.setSubject(
      subjectAttributes({ ...org, commonName: names.issuingCommonName ?? 'benchtwin Issuing CA 1' }),
    );
    issuingCert.setIssuer(rootName);
    issuingCert.setExtensions([
      { name: 'basicConstraints', critical: true, cA: true, pathLenConstraint: 0 },
      { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: rootKeyId },
    ]);
    signCertificate(issuingCert, rootKey);

    // Keys first: a folder with certificates but no keys would look like a CA and could not sign.
    store.write(CA_FILES.rootKey, rootKeys.privateKeyPem, true);
    store.write(CA_FILES.issuingKey, issuingKeys.privateKeyPem, true);
    store.write(CA_FILES.rootCert, lf(pki.certificateToPem(rootCert)));
    store.write(CA_FILES.issuingCert, lf(pki.certificateToPem(issuingCert)));
    const state: CaState = { version: 1, issued: [], crlNumbers: { issuing: 0, root: 0 } };
    store.writeState(state);
    return CertificateAuthority.open(options.dir, { ...options, epochAtClockZero: epoch });
  }

  /** Reads a CA made by `create` back from `dir`, checking that its files belong together. */
  static open(dir: string, options: CaOptions): CertificateAuthority {
    const store = new CaStore(dir);
    for (const name of [
      CA_FILES.rootKey,
      CA_FILES.rootCert,
      CA_FILES.issuingKey,
      CA_FILES.issuingCert,
      CA_FILES.state,
    ]) {
      if (!store.has(name)) throw new CaError('missing', `${store.file(name)} is missing: not a CA folder`);
    }
    try {
      const root = loadLevel(store.read(CA_FILES.rootCert), store.read(CA_FILES.rootKey));
      const issuing = loadLevel(store.read(CA_FILES.issuingCert), store.read(CA_FILES.issuingKey));
      const rootX509 = new X509Certificate(root.certPem);
      const issuingX509 = new X509Certificate(issuing.certPem);
      if (!rootX509.checkPrivateKey(root.key) || !issuingX509.checkPrivateKey(issuing.key)) {
        throw new Error('a CA key does not match its certificate');
      }
      if (!issuingX509.verify(rootX509.publicKey))
        throw new Error('the issuing CA is not signed by the root');
      store.ensureDirs();
      return new CertificateAuthority(store, options.clock, root, issuing, store.readState(), options);
    } catch (err) {
      if (err instanceof CaError) throw err;
      throw new CaError('corrupt', `${dir}: ${(err as Error).message}`);
    }
  }

  /** `open` when `dir` holds a CA, else `create`. */
  static openOrCreate(options: CreateCaOptions): CertificateAuthority {
    return new CaStore(options.dir).has(CA_FILES.state)
      ? CertificateAuthority.open(options.dir, options)
      : CertificateAuthority.create(options);
  }

  get dir(): string {
    return this.store.dir;
  }

  /** Calendar time of the bench, ms since the epoch. */
  now(): number {
    return this.epoch + this.clock.now();
  }

  /** The root certificate (PEM): what phones and POS terminals trust. */
  trustAnchors(): string {
    return this.root.certPem;
  }

  /** The issuing CA certificate (PEM), sent with every leaf as its chain. */
  issuingCertificate(): string {
    return this.issuing.certPem;
  }

  issuedCertificates(): IssuedCertificate[] {
    return this.state.issued.map((r) => ({
      ...r,
      certificate: this.store.read(this.store.issuedFile(r.serialHex)),
    }));
  }

  /** A new key pair and a server certificate (serverAuth) naming the host by subjectAltName. */
  issueServerCertificate(request: ServerCertificateRequest): ServerIdentity {
    if (!request.commonName) throw new CaError('bad-request', 'a server certificate needs a commonName');
    if (request.dnsNames.length + (request.ipAddresses?.length ?? 0) === 0) {
      throw new CaError('bad-request', 'a server certificate needs at least one DNS name or IP address');
    }
    const altNames: { type: number; value?: string; ip?: string }[] = [];
    for (const name of request.dnsNames) {
      if (!DNS_NAME.test(name)) throw new CaError('bad-request', `not a DNS name: ${JSON.stringify(name)}`);
      altNames.push({ type: 2, value: name.toLowerCase() });
    }
    for (const ip of request.ipAddresses ?? []) {
      if (!net.isIP(ip)) throw new CaError('bad-request', `not an IP address: ${JSON.stringify(ip)}`);
      altNames.push({ type: 7, ip });
    }
    const keys = generateRsaKeyPair();
    const signed = this.issue(
      'server',
      subjectAttributes({ commonName: request.commonName }),
      pki.publicKeyFromPem(keys.publicKeyPem),
      request.validityDays ?? 397,
      [
        { name: 'basicConstraints', critical: true, cA: false },
        { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames },
      ],
    );
    return { ...signed, key: keys.privateKeyPem };
  }

  /**
   * Signs a PKCS#10 request (clientAuth) after checking its self-signature: the requester holds the key.
   * Refuses a malformed or tampered CSR and a non-RSA key with a CaError.
   */
  signCsr(csrPem: string, options: SignCsrOptions): SignedCertificate {
    if (options.profile !== 'client' && options.profile !== 'device') {
      throw new CaError('bad-request', `unknown certificate profile ${JSON.stringify(options.profile)}`);
    }
    let csr: forge.pki.CertificateSigningRequest;
    try {
      csr = pki.certificationRequestFromPem(csrPem, true);
    } catch (err) {
      const message = (err as Error).message;
      if (/not RSA/i.test(message))
        throw new CaError('unsupported-key', 'the CSR key is not RSA: this CA signs RSA keys only');
      throw new CaError('bad-csr', `the CSR cannot be read: ${message}`);
    }
    let valid = false;
    try {
      valid = csr.verify();
    } catch (err) {
      throw new CaError('bad-csr', `the CSR signature cannot be checked: ${(err as Error).message}`);
    }
    if (!valid)
      throw new CaError(
        'bad-csr',
        'the CSR signature does not verify: the request was altered or not signed by its key',
      );
    if (!csr.publicKey) throw new CaError('bad-csr', 'the CSR carries no public key');
    const subject = options.subjectOverride
      ? subjectAttributes(options.subjectOverride)
      : csr.subject.attributes;
    if (subject.length === 0)
      throw new CaError('bad-csr', 'the CSR has an empty subject and no subjectOverride was given');
    const device = options.profile === 'device';
    return this.issue(options.profile, subject, csr.publicKey, options.validityDays ?? (device ? 730 : 365), [
      { name: 'basicConstraints', critical: true, cA: false },
      device
        ? { name: 'keyUsage', critical: true, digitalSignature: true, nonRepudiation: true }
        : { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', clientAuth: true },
    ]);
  }

  /** Marks an issued certificate revoked (idempotent: the first revocation stands). */
  revoke(serialHex: string, reason: CrlReason = 'unspecified'): void {
    if (!isCrlReason(reason))
      throw new CaError('bad-request', `unknown CRL reason ${JSON.stringify(reason)}`);
    const serial = normalizeSerialHex(serialHex);
    const record = serial && this.state.issued.find((r) => r.serialHex === serial);
    if (!record)
      throw new CaError('unknown-serial', `no certificate with serial ${serialHex} was issued by this CA`);
    if (record.revoked) return;
    const next = structuredClone(this.state);
    next.issued.find((r) => r.serialHex === serial)!.revoked = {
      at: wholeSeconds(this.now()).toISOString(),
      reason,
    };
    this.store.writeState(next);
    this.state = next;
    this.crlCache.issuing = undefined;
  }

  /** The issuing CA's CRL (PEM): every revoked leaf. Re-signed after a revocation or at half its validity. */
  crl(): string {
    return this.currentCrl('issuing');
  }

  /**
   * Both CRLs, issuing CA's first. Node's TLS checks revocation at every level of a chain once any CRL is
   * given, so a verifier needs the root's CRL (which covers the issuing CA) as well.
   */
  crls(): string[] {
    return [this.currentCrl('issuing'), this.currentCrl('root')];
  }

  private currentCrl(level: 'issuing' | 'root'): string {
    const now = this.now();
    const cached = this.crlCache[level];
    if (cached && now >= cached.thisUpdate && now < cached.thisUpdate + this.crlValidityMs / 2)
      return cached.pem;
    const ca = level === 'issuing' ? this.issuing : this.root;
    const revoked: RevokedEntry[] =
      level === 'issuing'
        ? this.state.issued
            .filter((r) => r.revoked)
            .map((r) => ({
              serialHex: r.serialHex,
              revocationDate: new Date(r.revoked!.at),
              reason: r.revoked!.reason,
            }))
        : [];
    const thisUpdate = wholeSeconds(now - BACKDATE_MS);
    const next = structuredClone(this.state);
    next.crlNumbers[level] += 1;
    const pem = lf(
      buildCrlPem(
        {
          issuer: ca.cert.subject,
          issuerKeyId: ca.keyId,
          thisUpdate,
          nextUpdate: wholeSeconds(now + this.crlValidityMs),
          crlNumber: next.crlNumbers[level],
          revoked,
        },
        ca.key,
      ),
    );
    // The number is durable before the CRL leaves: a later CRL never repeats it (RFC 5280 §5.2.3).
    this.store.writeState(next);
    this.state = next;
    this.crlCache[level] = { pem, thisUpdate: now };
    return pem;
  }

  private issue(
    profile: CertificateProfile,
    subject: forge.pki.CertificateField[],
    publicKey: forge.pki.PublicKey,
    validityDays: number,
    extensions: object[],
  ): SignedCertificate {
    if (!(validityDays > 0))
      throw new CaError('bad-request', `validityDays must be positive, got ${validityDays}`);
    const now = this.now();
    const cert = pki.createCertificate();
    cert.publicKey = publicKey;
    let serialHex = randomSerialHex();
    while (this.state.issued.some((r) => r.serialHex === serialHex)) serialHex = randomSerialHex();
    cert.serialNumber = serialHex;
    cert.validity.notBefore = wholeSeconds(now - BACKDATE_MS);
    cert.validity.notAfter = wholeSeconds(
      Math.min(now + validityDays * DAY_MS, this.issuing.cert.validity.notAfter.getTime()),
    );
    cert.setSubject(subject);
    cert.setIssuer(this.issuing.cert.subject.attributes);
    cert.setExtensions([
      ...extensions,
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: this.issuing.keyId },
    ]);
    signCertificate(cert, this.issuing.key);
    const pem = lf(pki.certificateToPem(cert));
    const record: IssuedRecord = {
      serialHex,
      profile,
      subject: describeSubject(cert.subject.attributes),
      notBefore: cert.validity.notBefore.toISOString(),
      notAfter: cert.validity.notAfter.toISOString(),
    };
    // The certificate file first, then the state that lists it: a listed serial always has its file.
    this.store.write(this.store.issuedFile(serialHex), pem);
    const next = structuredClone(this.state);
    next.issued.push(record);
    this.store.writeState(next);
    this.state = next;
    return { serialHex, cert: pem, chain: this.issuing.certPem };
  }
}
