/**
 * The CA's folder: key and certificate PEM files of the two CA levels, one PEM file per issued certificate,
 * and a JSON state file (issued serials, revocations, CRL numbers), each written atomically and durably.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../devices/atomic-file.js';
import type { CrlReason } from './crl.js';

export const CA_FILES = {
  rootKey: 'root-ca.key.pem',
  rootCert: 'root-ca.cert.pem',
  issuingKey: 'issuing-ca.key.pem',
  issuingCert: 'issuing-ca.cert.pem',
  state: 'ca-state.json',
  issuedDir: 'issued',
} as const;

export type CertificateProfile = 'server' | 'client' | 'device';

export interface IssuedRecord {
  serialHex: string;
  profile: CertificateProfile;
  subject: string;
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  revoked?: { at: string; reason: CrlReason };
}

export interface CaState {
  version: 1;
  issued: IssuedRecord[];
  /** The last cRLNumber used by each CA level. */
  crlNumbers: { issuing: number; root: number };
}

export class CaStore {
  constructor(readonly dir: string) {}

  file(name: string): string {
    return path.join(this.dir, name);
  }

  has(name: string): boolean {
    return existsSync(this.file(name));
  }

  read(name: string): string {
    return readFileSync(this.file(name), 'utf8');
  }

  /** Keys are readable by the owner only. */
  write(name: string, text: string, secret = false): void {
    writeFileAtomic(this.file(name), Buffer.from(text, 'utf8'));
    // writeFileAtomic creates files 0600; public files are relaxed to 0644 on purpose.
    if (!secret) chmodSync(this.file(name), 0o644);
  }

  ensureDirs(): void {
    mkdirSync(path.join(this.dir, CA_FILES.issuedDir), { recursive: true, mode: 0o700 });
  }

  issuedFile(serialHex: string): string {
    return path.join(CA_FILES.issuedDir, `${serialHex}.cert.pem`);
  }

  readState(): CaState {
    const parsed = JSON.parse(this.read(CA_FILES.state)) as CaState;
    if (parsed.version !== 1 || !Array.isArray(parsed.issued)) {
      throw new Error(`${this.file(CA_FILES.state)}: not a CA state file of version 1`);
    }
    return parsed;
  }

  writeState(state: CaState): void {
    this.write(CA_FILES.state, JSON.stringify(state, null, 2) + '\n');
  }
}
