/**
 * The PC/SC daemon for tests, and who may use it when.
 *
 * pcscd is one per machine (its socket is /run/pcscd/pcscd.comm) and its vpcd slots (TCP 35963 → "Virtual
 * PCD 00 00", 35964 → "Virtual PCD 00 01") take one card each, so test files that use them must not run at
 * once. `acquirePcscd()` serialises them across vitest workers with a lock directory, uses the pcscd that
 * runs (one started by hand, or by another file of this run), starts `pcscd --foreground` when none runs
 * and stops it again on release only if it started it.
 *
 * `PrivatePcscd` is a second daemon the test owns outright, for restarts: it runs in its own mount namespace
 * (its /run/pcscd is a temporary directory), with its own reader.conf.d putting vpcd on other ports;
 * PC/SC clients reach it through PCSCLITE_CSOCK_NAME. libpcsclite reads that variable once per process,
 * so only child processes (opensc-tool, pcsc_scan) talk to a private daemon; the in-process binding
 * always talks to the system one.
 *
 * What is missing (pcscd, the vpcd driver, root, opensc-tool …) turns into a skip reason that the tests put
 * in their names.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../host/bench/registry.js';

export const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
export const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
export const VPCD_PORT_SLOT0 = 35963;
export const VPCD_PORT_SLOT1 = 35964;
const LOCK_DIR = path.join(os.tmpdir(), 'benchtwin-pcscd.lock');

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export const hasPcscd = onPath('pcscd');
export const hasVpcdDriver = fs.existsSync(VPCD_DRIVER);
/** opensc-tool (Debian opensc): an independent PC/SC client. */
export const hasOpenscTool = onPath('opensc-tool');
/** pcsc_scan (Debian pcsc-tools). */
export const hasPcscScan = onPath('pcsc_scan');
/**
 * vicc (Debian vsmartcard-vpicc): vsmartcard's own virtual card, an independent vpcd peer. Debian 12's
 * python3-virtualsmartcard installs its modules one directory too deep (site-packages/virtualsmartcard/
 * virtualsmartcard) and imports `Crypto`, which Debian's python3-pycryptodome names `Cryptodome`: vicc
 * then dies at its first import. `viccEnv` is the environment that makes it start (a PYTHONPATH with
 * the package directory and a `Crypto` → Cryptodome link), or undefined, with the reason in
 * `viccSkipReason`.
 */
export const { viccEnv, viccSkipReason } = probeVicc();

function probeVicc(): { viccEnv?: Record<string, string>; viccSkipReason?: string } {
  if (!onPath('vicc')) return { viccSkipReason: 'needs vicc (Debian vsmartcard-vpicc)' };
  const probe = (env: Record<string, string>): boolean =>
    spawnSync('/usr/bin/python3', ['-c', 'from virtualsmartcard.VirtualSmartcard import VirtualICC'], {
      stdio: 'ignore',
      env: { ...process.env, ...env },
    }).status === 0;
  if (probe({})) return { viccEnv: {} };
  const paths: string[] = [];
  const nested = '/usr/lib/python3/site-packages/virtualsmartcard';
  if (fs.existsSync(path.join(nested, 'virtualsmartcard'))) paths.push(nested);
  const cryptodome = '/usr/lib/python3/dist-packages/Cryptodome';
  if (fs.existsSync(cryptodome)) {
    const shim = path.join(os.tmpdir(), 'benchtwin-vicc-shim');
    fs.mkdirSync(shim, { recursive: true });
    try {
      fs.symlinkSync(cryptodome, path.join(shim, 'Crypto'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    paths.unshift(shim);
  }
  const env = { PYTHONPATH: [...paths, process.env.PYTHONPATH ?? ''].filter(Boolean).join(':') };
  if (probe(env)) return { viccEnv: env };
  return {
    viccSkipReason: fs.existsSync(cryptodome)
      ? 'vicc does not start (python3-virtualsmartcard broken)'
      : 'needs python3-pycryptodome for vicc',
  };
}
const isRoot = process.getuid?.() === 0;
const hasUnshare = onPath('unshare');

/** Why the system pcscd cannot be used, or undefined when it can. */
export function pcscdSkipReason(): string | undefined {
  if (!hasPcscd) return 'needs pcscd (Debian pcscd)';
  if (!hasVpcdDriver) return 'needs the vpcd driver (Debian vsmartcard-vpcd)';
  if (!vpcdConfigured()) return 'needs /etc/reader.conf.d/vpcd with DEVICENAME /dev/null:0x8C7B';
  if (!fs.existsSync(PCSCD_SOCKET) && !isRoot) return 'needs a running pcscd or root to start one';
  return undefined;
}

/** Why a private pcscd cannot be started, or undefined when it can. */
export function privatePcscdSkipReason(): string | undefined {
  if (!hasPcscd) return 'needs pcscd (Debian pcscd)';
  if (!hasVpcdDriver) return 'needs the vpcd driver (Debian vsmartcard-vpcd)';
  if (!isRoot) return 'needs root for a private pcscd in its own mount namespace';
  if (!hasUnshare) return 'needs unshare (util-linux)';
  return undefined;
}

function vpcdConfigured(): boolean {
  try {
    return fs
      .readdirSync('/etc/reader.conf.d')
      .some((f) =>
        /DEVICENAME\s+\/dev\/null:0x8C7B/i.test(fs.readFileSync(path.join('/etc/reader.conf.d', f), 'utf8')),
      );
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  guardMs = 15_000,
): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > guardMs) throw new Error(`gave up waiting for ${what}`);
    await sleep(25);
  }
}

/** True when something accepts connections on the Unix socket (a live pcscd, not a stale file). */
export function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!fs.existsSync(socketPath)) return resolve(false);
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * True when a TCP port is in LISTEN state on this machine. Read from /proc/net/tcp rather than by
 * connecting: a connection to a vpcd port is a card being inserted.
 */
export function tcpListening(port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN.
      if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A') return true;
    }
  }
  return false;
}

/** How long a starting pcscd may take to listen (a guard against a hang, not a timing check). */
const PCSCD_START_MS = 60_000;

export interface PcscdLease {
  /** True when this lease started the daemon (and release() stops it). */
  readonly started: boolean;
  release(): Promise<void>;
}

/**
 * Exclusive use of the system pcscd and its vpcd slots for one test file: waits for the lock (other
 * files using pcscd run before or after, never during), then makes sure a pcscd runs.
 */
export async function acquirePcscd(guardMs = 120_000): Promise<PcscdLease> {
  const reason = pcscdSkipReason();
  if (reason) throw new Error(`pcscd unavailable: ${reason}`);
  await lock(guardMs);
  let child: ChildProcess | undefined;
  try {
    if (!(await socketAnswers(PCSCD_SOCKET))) {
      child = spawn('pcscd', ['--foreground'], { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
      let gone = false;
      void exited.then(() => (gone = true));
      await until(
        'pcscd to listen on its socket and the vpcd ports',
        async () => {
          if (gone) throw new Error('pcscd exited at start (is another one running?)');
          return (await socketAnswers(PCSCD_SOCKET)) && tcpListening(VPCD_PORT_SLOT0);
        },
        // pcscd loads its drivers before it listens: seconds alone, far more on a machine busy with the suite.
        PCSCD_START_MS,
      );
    } else {
      await until('the vpcd port 35963 to listen', () => tcpListening(VPCD_PORT_SLOT0), PCSCD_START_MS);
    }
  } catch (err) {
    await stopChild(child);
    unlock();
    throw err;
  }
  let released = false;
  return {
    started: child !== undefined,
    async release() {
      if (released) return;
      released = true;
      await stopChild(child);
      unlock();
    },
  };
}

async function lock(guardMs: number): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(LOCK_DIR);
      fs.writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // A lock left by a process that died is free.
    const owner = Number(readOr(path.join(LOCK_DIR, 'pid'), ''));
    if (owner > 0 && !processAlive(owner)) {
      fs.rmSync(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - start > guardMs) throw new Error(`pcscd lock ${LOCK_DIR} held by pid ${owner}`);
    await sleep(100);
  }
}

function unlock(): void {
  if (readOr(path.join(LOCK_DIR, 'pid'), '') === String(process.pid)) {
    fs.rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A pcscd of the test's own, with vpcd on `port` (slot 0) and port + 1 (slot 1), in a private mount
 * namespace so that it does not meet the system daemon's pid file and socket. `env` points a child
 * process's libpcsclite at it.
 */
export class PrivatePcscd {
  readonly port: number;
  readonly dir: string;
  readonly socketPath: string;
  private child: ChildProcess | undefined;

  constructor(port: number) {
    this.port = port;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-pcscd-'));
    this.socketPath = path.join(this.dir, 'run', 'pcscd.comm');
    fs.mkdirSync(path.join(this.dir, 'run'));
    fs.mkdirSync(path.join(this.dir, 'reader.conf.d'));
    const hex = `0x${port.toString(16).toUpperCase()}`;
    fs.writeFileSync(
      path.join(this.dir, 'reader.conf.d', 'vpcd'),
      `FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:${hex}\nLIBPATH      ${VPCD_DRIVER}\nCHANNELID    ${hex}\n`,
    );
  }

  /** Environment for a PC/SC client process that should talk to this daemon. */
  get env(): Record<string, string> {
    return { PCSCLITE_CSOCK_NAME: this.socketPath };
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const run = path.join(this.dir, 'run');
    const conf = path.join(this.dir, 'reader.conf.d');
    this.child = spawn(
      'unshare',
      ['-m', 'sh', '-c', 'mount --bind "$1" /run/pcscd && exec pcscd --foreground -c "$2"', 'sh', run, conf],
      { stdio: 'ignore' },
    );
    const child = this.child;
    await until(
      `private pcscd on port ${this.port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`private pcscd exited with ${child.exitCode}`);
        return (await socketAnswers(this.socketPath)) && tcpListening(this.port);
      },
      15_000,
    );
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopChild(child);
    await until(`port ${this.port} to close`, () => !tcpListening(this.port), 10_000);
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an independent PC/SC tool (opensc-tool, pcsc_scan) without blocking the event loop. */
export function runTool(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
