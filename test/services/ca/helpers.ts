/** Temporary folders, openssl as an independent peer, and a CSR maker for the CA tests. */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';

export function tempDir(prefix = 'benchtwin-ca-'): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface OpensslResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs openssl (Debian's, an independent X.509 implementation) with files from `dir`. */
export function openssl(args: string[], cwd: string, input?: string): OpensslResult {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function writeIn(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** A key pair (PKCS#8 PEM) and a PKCS#10 request made with forge, as a phone or POS would. */
export function makeCsr(commonName: string): { key: string; csr: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  csr.setSubject([
    { shortName: 'O', value: 'benchtwin test' },
    { shortName: 'CN', value: commonName },
  ]);
  const forgeKey = forge.pki.privateKeyFromPem(
    privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  csr.sign(forgeKey, forge.md.sha256.create());
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    csr: forge.pki.certificationRequestToPem(csr),
  };
}

/** The DER inside a PEM text, and back. */
export function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

export function toPem(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${type}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n')}-----END ${type}-----\n`;
}
