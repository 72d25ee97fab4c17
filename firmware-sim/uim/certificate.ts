/**
 * Seed 000 certificate application: key pairs generated on the card (the private key never leaves it),
 * the X.509 certificate the CA issued for each, and signatures gated by a certificate password.
 *
 * Commands (ISO 7816-8; CLA 00 on a UICC, A0 on a GSM SIM; the DF must be selected):
 *   GENERATE ASYMMETRIC KEY PAIR  INS 46  P1 00 generate (CHV1 + certificate password), P1 01 read the
 *                                         public key; P2 key reference 01 or 02 (00 = 01); data absent
 *                                         (EC P-256) or 80 01 algorithm (11 EC P-256, 07 RSA-2048, the
 *                                         PIV numbers), optionally inside an AC template. Answer: 7F49.
 *   MANAGE SECURITY ENVIRONMENT   INS 22  P1P2 41 B6 (SET, digital signature template): 84 01 key ref,
 *                                         80 01 algorithm (see SignatureAlgorithm); P1 F3 restores.
 *   PERFORM SECURITY OPERATION    INS 2A  P1P2 9E 9A COMPUTE DIGITAL SIGNATURE over a 32-byte SHA-256
 *                                         hash computed by the host; answer ECDSA as DER Ecdsa-Sig-Value
 *                                         or RSA PKCS#1 v1.5. Needs CHV1 and a certificate-password
 *                                         VERIFY (key reference 90) for *each* signature.
 * Files, under DF 7F51:
 *   6F11 / 6F21  public key of key 01 / 02 — SubjectPublicKeyInfo DER, FF-padded; read ALW, update NEV
 *   6F12 / 6F22  certificate for key 01 / 02 — X.509 DER, FF-padded; read ALW, update CHV1
 * The private keys are in no file: no READ command can reach them.
 */
export const DF_CERTIFICATE = 0x7f51;
/** F0 "BTCERT" 01. */
export const CERTIFICATE_AID = Uint8Array.from([0xf0, 0x42, 0x54, 0x43, 0x45, 0x52, 0x54, 0x01]);

export const CertificateFile = {
  PUBLIC_KEY_1: 0x6f11,
  CERTIFICATE_1: 0x6f12,
  PUBLIC_KEY_2: 0x6f21,
  CERTIFICATE_2: 0x6f22,
} as const;

export const PUBLIC_KEY_FILE_SIZE = 320;
export const CERTIFICATE_FILE_SIZE = 2048;

/** Key algorithm identifiers in GENERATE ASYMMETRIC KEY PAIR (those of NIST SP 800-73-4 PIV). */
export const KeyAlgorithmId = { RSA_2048: 0x07, EC_P256: 0x11 } as const;

/** Algorithm references in MSE SET (proprietary). */
export const SignatureAlgorithm = { RSA_PKCS1_SHA256: 0x01, ECDSA_SHA256: 0x02 } as const;

export const CertificateIns = {
  MSE: 0x22,
  PSO: 0x2a,
  GENERATE_ASYMMETRIC_KEY_PAIR: 0x46,
} as const;

/** Key reference → its public-key and certificate EFs. */
export function keySlotFiles(ref: number): { publicKey: number; certificate: number } | undefined {
  if (ref === 1)
    return { publicKey: CertificateFile.PUBLIC_KEY_1, certificate: CertificateFile.CERTIFICATE_1 };
  if (ref === 2)
    return { publicKey: CertificateFile.PUBLIC_KEY_2, certificate: CertificateFile.CERTIFICATE_2 };
  return undefined;
}

/** Reads a DER object (a certificate or SPKI) from an FF-padded transparent EF; undefined when empty. */
export function derFromPaddedFile(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes[0] !== 0x30 || bytes.length < 2) return undefined;
  const l0 = bytes[1]!;
  let len: number;
  let hdr: number;
  if (l0 < 0x80) {
    len = l0;
    hdr = 2;
  } else if (l0 === 0x81 && bytes.length >= 3) {
    len = bytes[2]!;
    hdr = 3;
  } else if (l0 === 0x82 && bytes.length >= 4) {
    len = (bytes[2]! << 8) | bytes[3]!;
    hdr = 4;
  } else {
    return undefined;
  }
  if (hdr + len > bytes.length) return undefined;
  return bytes.slice(0, hdr + len);
}
