/** Runs the built `benchtwin` command as a user would, and reads serial paths without this project's code. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/benchtwin.js');
export const GUARD_MS = 20_000;

export interface Cli {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function runCli(args: string[], env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

export async function until(what: string, cond: () => boolean, guardMs = GUARD_MS): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > guardMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * An independent raw-mode reader: coreutils' stty puts the tty in raw mode, cat copies what arrives.
 * Nothing of benchtwin is involved on this side.
 */
export function rawReader(ttyPath: string): { bytes: () => Buffer; stop: () => void } {
  const child = spawn('sh', ['-c', 'stty -F "$1" raw -echo 9600 && exec cat "$1"', 'sh', ttyPath]);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  return { bytes: () => Buffer.concat(chunks), stop: () => child.kill('SIGTERM') };
}

export async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
