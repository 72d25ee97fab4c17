/**
 * X.509 v2 certificate revocation lists (RFC 5280 §5). node-forge cannot make CRLs, so the ASN.1 is built
 * here with forge.asn1 and the TBSCertList is signed with Node's crypto.
 */
import crypto, { type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { derOf, sha256WithRsaAlgorithm, timeToAsn1 } from './x509.js';

const { asn1, pki } = forge;
const { Class, Type } = asn1;

/** CRLReason (RFC 5280 §5.3.1), by name; 7 is not used. */
export const CRL_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type CrlReason = keyof typeof CRL_REASONS;

export function isCrlReason(name: string): name is CrlReason {
  return Object.hasOwn(CRL_REASONS, name);
}

export interface RevokedEntry {
  /** Normalized hex (see normalizeSerialHex). */
  serialHex: string;
  revocationDate: Date;
  reason: CrlReason;
}

export interface CrlContents {
  /** The issuer's subject, as forge holds it (the CRL issuer is the certificate's issuer). */
  issuer: { attributes: ReadonlyArray<forge.pki.CertificateField> };
  /** The issuer's subject key identifier (binary string), for the authorityKeyIdentifier extension. */
  issuerKeyId: string;
  thisUpdate: Date;
  nextUpdate: Date;
  /** cRLNumber: monotonically increasing for each CRL of this issuer (§5.2.3). */
  crlNumber: number;
  revoked: RevokedEntry[];
}

const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const OID_CRL_NUMBER = '2.5.29.20';
const OID_REASON_CODE = '2.5.29.21';

function oid(value: string): forge.asn1.Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(value).getBytes());
}

function extension(id: string, value: forge.asn1.Asn1): forge.asn1.Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
    oid(id),
    asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, asn1.toDer(value).getBytes()),
  ]);
}

function integer(n: number): forge.asn1.Asn1 {
  return asn1.create(Class.UNIVERSAL, Type.INTEGER, false, asn1.integerToDer(n).getBytes());
}

function revokedCertificate(entry: RevokedEntry): forge.asn1.Asn1 {
  const fields = [
    asn1.create(Class.UNIVERSAL, Type.INTEGER, false, forge.util.hexToBytes(entry.serialHex)),
    timeToAsn1(entry.revocationDate),
  ];
  // §5.3.1: the reasonCode extension SHOULD be absent rather than say "unspecified".
  const code = CRL_REASONS[entry.reason];
  if (code !== 0) {
    const reason = asn1.create(Class.UNIVERSAL, Type.ENUMERATED, false, String.fromCharCode(code));
    fields.push(asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [extension(OID_REASON_CODE, reason)]));
  }
  return asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, fields);
}

/** The TBSCertList of §5.1.2 (version v2, since it carries extensions). */
export function tbsCertList(c: CrlContents): forge.asn1.Asn1 {
  const fields: forge.asn1.Asn1[] = [
    integer(1),
    sha256WithRsaAlgorithm(),
    pki.distinguishedNameToAsn1(c.issuer),
    timeToAsn1(c.thisUpdate),
    timeToAsn1(c.nextUpdate),
  ];
  // An empty list is left out rather than encoded as an empty SEQUENCE (§5.1.2.6).
  if (c.revoked.length > 0) {
    fields.push(asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, c.revoked.map(revokedCertificate)));
  }
  const authorityKeyId = asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
    asn1.create(Class.CONTEXT_SPECIFIC, 0, false, c.issuerKeyId),
  ]);
  fields.push(
    asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [
      asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
        extension(OID_AUTHORITY_KEY_ID, authorityKeyId),
        extension(OID_CRL_NUMBER, integer(c.crlNumber)),
      ]),
    ]),
  );
  return asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, fields);
}

/** A signed CertificateList (§5.1.1) as PEM ("X509 CRL"). */
export function buildCrlPem(c: CrlContents, issuerKey: KeyObject): string {
  const tbs = tbsCertList(c);
  const signature = crypto.sign('sha256', derOf(tbs), issuerKey);
  const certificateList = asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
    tbs,
    sha256WithRsaAlgorithm(),
    // BIT STRING: a leading octet of unused bits (0), then the signature.
    asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, '\x00' + signature.toString('binary')),
  ]);
  return forge.pem.encode({ type: 'X509 CRL', body: asn1.toDer(certificateList).getBytes() });
}
