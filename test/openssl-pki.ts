/**
 * Test certificates made by the openssl command line — an independent peer of our own CA code and of
 * Node's TLS: a self-signed P-256 CA, and certificates it signs (P-256 or RSA-2048 leaves with a
 * subjectAltName and an extended key usage, or with extensions given whole). Files land in `dir` as
 * `<name>.key` / `<name>.pem`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

export function openssl(dir: string, args: string[]): Buffer {
  const r = spawnSync('openssl', args, { cwd: dir });
  if (r.status !== 0)
    throw new Error(`openssl ${args.join(' ')}: ${r.stderr?.toString() ?? r.error?.message}`);
  return r.stdout;
}

const KEYS = {
  ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
  rsa: ['-newkey', 'rsa:2048', '-nodes'],
};

export interface PemPair {
  key: string;
  cert: string;
}

const read = (dir: string, name: string): PemPair => ({
  key: fs.readFileSync(path.join(dir, `${name}.key`), 'utf8'),
  cert: fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8'),
});

/** A self-signed CA (CA:TRUE, keyCertSign). */
export function opensslCa(dir: string, name: string, o: { subject?: string; days?: number } = {}): PemPair {
  openssl(dir, [
    'req',
    '-x509',
    ...KEYS.ec,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    String(o.days ?? 3),
    '-subj',
    o.subject ?? `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return read(dir, name);
}

/**
 * A certificate signed by the CA `ca` (files of opensslCa): a leaf for `san` (e.g. `DNS:host,IP:127.0.0.1`),
 * or with the extensions `ext` given whole (an intermediate CA, say). P-256 key unless `key: 'rsa'`.
 */
export function opensslLeaf(
  dir: string,
  ca: string,
  name: string,
  o: { subject?: string; days?: number; key?: 'ec' | 'rsa' } & (
    { san: string; eku?: 'serverAuth' | 'clientAuth' } | { ext: string }
  ),
): PemPair {
  fs.writeFileSync(
    path.join(dir, `${name}.ext`),
    'ext' in o
      ? o.ext
      : `subjectAltName=${o.san}\nextendedKeyUsage=${o.eku ?? 'serverAuth'}\nbasicConstraints=CA:FALSE\n`,
  );
  openssl(dir, [
    'req',
    ...KEYS[o.key ?? 'ec'],
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    o.subject ?? `/CN=${name}`,
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    String(o.days ?? 2),
    '-extfile',
    `${name}.ext`,
  ]);
  return read(dir, name);
}
