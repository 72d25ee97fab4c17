/**
 * X.509 building blocks for the CA: RSA keys made by Node (forge's key generation is far slower),
 * positive serial numbers, and certificates signed through Node's crypto over the TBS that forge encodes.
 */
import crypto, { type KeyObject } from 'node:crypto';
import forge from 'node-forge';

const { pki, asn1 } = forge;

export interface RsaKeyPair {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** SubjectPublicKeyInfo PEM. */
  publicKeyPem: string;
}

/** A fresh 2048-bit RSA key pair (forge handles RSA only, so every key of the bench is RSA). */
export function generateRsaKeyPair(): RsaKeyPair {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/**
 * 16 random bytes as a positive DER INTEGER (RFC 5280 §4.1.2.2: positive, at most 20 octets). The first
 * octet is 0x01–0x7f: a set high bit would make the serial negative (forge keeps the bytes as given) and
 * a zero first octet would not be minimal DER.
 */
export function randomSerialHex(): string {
  const bytes = crypto.randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f || 0x40;
  return bytes.toString('hex');
}

/** Serial numbers compare as lower-case hex without leading zero octets (openssl prints upper case). */
export function normalizeSerialHex(serialHex: string): string | undefined {
  const clean = serialHex.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(clean)) return undefined;
  let hex = clean.replace(/^0+/, '');
  if (hex.length % 2) hex = '0' + hex;
  // A first octet ≥ 0x80 needs a 00 in front to stay positive in DER.
  if (hex.length === 0 || parseInt(hex.slice(0, 2), 16) >= 0x80) hex = '00' + hex;
  return hex;
}

/** ASN.1 times have whole seconds: the dates we keep must equal the dates we sign. */
export function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export function timeToAsn1(date: Date): forge.asn1.Asn1 {
  return date.getUTCFullYear() < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

/** The DER of an ASN.1 value, as Node bytes. */
export function derOf(value: forge.asn1.Asn1): Buffer {
  return Buffer.from(asn1.toDer(value).getBytes(), 'binary');
}

/** sha256WithRSAEncryption with its NULL parameters (RFC 4055 §5). */
export function sha256WithRsaAlgorithm(): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(
      asn1.Class.UNIVERSAL,
      asn1.Type.OID,
      false,
      asn1.oidToDer(pki.oids.sha256WithRSAEncryption!).getBytes(),
    ),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
  ]);
}

/** Present in node-forge (x509.js) but missing from its type definitions. */
interface ForgeTbs {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
}

/**
 * Signs a forge certificate with sha256WithRSAEncryption, as forge's `cert.sign` would, but with Node's
 * native RSA: forge encodes the TBSCertificate, Node signs its DER.
 */
export function signCertificate(cert: forge.pki.Certificate, issuerKey: KeyObject): void {
  const oid = pki.oids.sha256WithRSAEncryption!;
  cert.md = forge.md.sha256.create();
  cert.signatureOid = oid;
  cert.siginfo.algorithmOid = oid;
  const tbs = (pki as unknown as ForgeTbs).getTBSCertificate(cert);
  cert.tbsCertificate = tbs;
  cert.signature = crypto.sign('sha256', derOf(tbs), issuerKey).toString('binary');
}

/** The subject key identifier of a public key (RFC 5280 §4.2.1.2, method 1), as a binary string. */
export function keyIdentifier(publicKey: forge.pki.PublicKey): string {
  return pki.getPublicKeyFingerprint(publicKey, { type: 'RSAPublicKey' }).getBytes();
}

/** Subject attributes from a plain description. */
export interface SubjectName {
  commonName: string;
  organizationName?: string;
  organizationalUnitName?: string;
  countryName?: string;
}

export function subjectAttributes(name: SubjectName): forge.pki.CertificateField[] {
  const attrs: forge.pki.CertificateField[] = [];
  if (name.countryName) attrs.push({ shortName: 'C', value: name.countryName });
  if (name.organizationName) attrs.push({ shortName: 'O', value: name.organizationName });
  if (name.organizationalUnitName) attrs.push({ shortName: 'OU', value: name.organizationalUnitName });
  attrs.push({ shortName: 'CN', value: name.commonName });
  return attrs;
}
