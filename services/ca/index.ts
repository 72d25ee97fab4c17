/** The bench's certificate authority and the TLS helpers of the services that use its certificates. */
export * from './authority.js';
export * from './crl.js';
export * from './tls.js';
export { CA_FILES, type CertificateProfile, type IssuedRecord } from './store.js';
export { generateRsaKeyPair, normalizeSerialHex, type RsaKeyPair, type SubjectName } from './x509.js';
