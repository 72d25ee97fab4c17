/**
 * openobex (Debian openobex-apps, `obex_tcp`) as an independent OBEX peer, both ways: our client PUTs to
 * obex_tcp's receiver, and obex_tcp PUTs to our server. obex_tcp only speaks TCP port 650, so it runs in
 * a private network namespace (`unshare -n`, root) where that port is ours alone; a small Node bridge in
 * the namespace joins its loopback to a Unix socket in a temp dir. Skipped visibly without obex_tcp or
 * without the right to create a namespace.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../devices/serial/faults.js';
import { ObexClient } from '../../../devices/ir/obex/client.js';
import { ObexServer } from '../../../devices/ir/obex/server.js';
import type { ObexTransport } from '../../../devices/ir/obex/packet.js';

const hasObexTcp = spawnSync('sh', ['-c', 'command -v obex_tcp'], { stdio: 'ignore' }).status === 0;
const canUnshare = spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
const reason = !hasObexTcp
  ? ' (skipped: obex_tcp not installed, Debian openobex-apps)'
  : !canUnshare
    ? ' (skipped: cannot create a network namespace with unshare -n; needs root)'
    : '';

/** In the namespace: forward TCP 127.0.0.1:650 to a Unix socket, or a Unix socket to TCP 650. */
const BRIDGE = `
const net = require('net');
const [mode, sock] = process.argv.slice(1);
const join = (a, b) => { a.pipe(b); b.pipe(a); a.on('error', () => b.destroy()); b.on('error', () => a.destroy()); a.on('close', () => b.destroy()); b.on('close', () => a.destroy()); };
const server = mode === 'to-tcp'
  ? net.createServer((c) => join(c, net.connect(650, '127.0.0.1'))).listen(sock, () => console.log('ready'))
  : net.createServer((c) => join(c, net.connect(sock))).listen(650, '127.0.0.1', () => console.log('ready'));
`;

let dir = '';
const children: ChildProcess[] = [];

afterEach(() => {
  // The whole process group: the shell may have ended while what it started in the background (the bridge,
  // obex_tcp) still runs.
  for (const c of children.splice(0)) {
    if (!c.pid) continue;
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // Nothing of the group is left.
    }
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function inNamespace(script: string, cwd: string): ChildProcess & { output: () => string } {
  const child = spawn('unshare', ['-n', 'sh', '-c', `ip link set lo up && ${script}`], {
    cwd,
    detached: true,
    env: { ...process.env, BRIDGE },
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function socketTransport(sock: net.Socket): ObexTransport {
  let receive: (b: Uint8Array) => void = () => undefined;
  sock.on('data', (d: Buffer) => receive(d));
  return { send: (b) => void sock.write(b), setReceiver: (fn) => (receive = fn) };
}

const body = (seed: number, n: number): Buffer => {
  const r = mulberry32(seed);
  return Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
};

describe.skipIf(reason !== '')(`openobex obex_tcp as an OBEX peer${reason}`, () => {
  it('obex_tcp (receiver) accepts our Connect, a multi-packet Put with Name/Type/Length, and Disconnect', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-openobex-'));
    const sockPath = path.join(dir, 'obex.sock');
    // Line-buffered, so its progress reaches the pipe as it happens.
    const peer = inNamespace(`(stdbuf -oL obex_tcp &) ; exec node -e "$BRIDGE" to-tcp ${sockPath}`, dir);
    await until(() => peer.output().includes('ready'), 'the bridge');
    await until(() => peer.output().includes('Waiting for files'), 'obex_tcp');
    const sock = net.connect(sockPath);
    await new Promise((r) => sock.once('connect', r));
    const client = new ObexClient(socketTransport(sock), { maxPacketLength: 1024 });
    const rsp = await client.connect();
    expect(rsp.connect?.version).toBe(0x10);
    const data = body(7, 6000);
    await client.put('from-benchtwin.bin', data, { type: 'application/octet-stream' });
    await client.disconnect();
    sock.end();
    const written = path.join(dir, 'from-benchtwin.bin');
    await until(
      () => fs.existsSync(written) && fs.statSync(written).size === data.length,
      'the file from obex_tcp',
    );
    expect(fs.readFileSync(written).equals(data)).toBe(true);
    expect(peer.output()).toMatch(/HEADER_LENGTH = 6000/);
  });

  it('obex_tcp (sender) PUTs a file to our server and reports success', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchtwin-openobex-'));
    const sockPath = path.join(dir, 'obex.sock');
    const server = new ObexServer({ maxPacketLength: 1024 });
    const listener = net.createServer((sock) => void server.attach(socketTransport(sock)));
    await new Promise<void>((r) => listener.listen(sockPath, r));
    const data = body(8, 5000);
    fs.writeFileSync(path.join(dir, 'upload.bin'), data);
    const peer = inNamespace(
      `node -e "$BRIDGE" to-unix ${sockPath} & sleep 0.5; stdbuf -oL obex_tcp upload.bin 127.0.0.1; echo "rc=$?"`,
      dir,
    );
    try {
      await until(() => /rc=\d+/.test(peer.output()), 'obex_tcp to finish', 15_000);
      expect(peer.output()).toMatch(/PUT successful/);
      expect(peer.output()).toMatch(/rc=0/);
      const obj = server.store.get('', 'upload.bin');
      expect(obj && Buffer.from(obj.body).equals(data)).toBe(true);
      expect(server.sessions[0]?.stats.errors).toBe(0);
    } finally {
      listener.close();
    }
  });
});
