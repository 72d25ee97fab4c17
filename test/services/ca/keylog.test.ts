/**
 * NSS key logs checked by tshark as the peer: a TLS 1.3 HTTPS exchange on loopback is captured with
 * `tshark -i lo`, and tshark decrypts it with the key log file (`tls.keylog_file`) and shows the HTTP
 * request; without the key log it cannot.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { CertificateAuthority } from '../../../services/ca/authority.js';
import { NssKeyLog, clientTlsOptions, createHttpsServer, listenEphemeral } from '../../../services/ca/tls.js';
import { hasTshark } from '../../oracles.js';
import { tempDir } from './helpers.js';

const HOST = 'gateway.benchtwin.test';

/** Capturing needs more than tshark itself (root or the pcap capabilities): try a one-second capture. */
const canCapture =
  hasTshark &&
  spawnSync('tshark', ['-i', 'lo', '-a', 'duration:1', '-w', '/dev/null'], {
    stdio: 'ignore',
    timeout: 15_000,
  }).status === 0;

function tsharkRead(args: string[]): string {
  const r = spawnSync('tshark', ['-n', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function startCapture(port: number, file: string): Promise<ChildProcess> {
  const tshark = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    tshark.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('Capturing on')) resolve();
    });
    tshark.on('exit', (code) => reject(new Error(`tshark exited (${code}) before capturing: ${err}`)));
  });
  return tshark;
}

function synCaptured(file: string, localPort: number): boolean {
  if (!fs.existsSync(file)) return false;
  const filter = `tcp.srcport == ${localPort} && tcp.flags.syn == 1`;
  const r = spawnSync('tshark', ['-n', '-r', file, '-Y', filter], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

/**
 * Opens and closes a TCP connection to `port` until its SYN shows up in the capture. Packets are written
 * in order, so once a marker is in the file everything sent before it is too; and the first marker seen
 * proves that tshark has really started (it prints "Capturing on" before its capture is live).
 */
async function markCapture(file: string, port: number): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const localPort = socket.localPort!;
    socket.destroy();
    for (let j = 0; j < 5; j++) {
      await new Promise((r) => setTimeout(r, 100));
      if (synCaptured(file, localPort)) return;
    }
  }
  throw new Error('no marker connection ever showed up in the capture');
}

describe.skipIf(!canCapture)(
  'NSS key log decrypts a captured TLS 1.3 exchange (needs tshark able to capture on lo)',
  () => {
    const tmp = tempDir();
    afterAll(() => tmp.remove());

    it('tshark -o tls.keylog_file shows the decrypted HTTP request; without the key log it shows none', async () => {
      const ca = CertificateAuthority.create({ dir: path.join(tmp.dir, 'ca'), clock: new VirtualClock() });
      const identity = ca.issueServerCertificate({ commonName: HOST, dnsNames: [HOST] });
      const serverLog = new NssKeyLog(path.join(tmp.dir, 'server.keys'));
      const clientLog = new NssKeyLog(path.join(tmp.dir, 'client.keys'));
      const server = createHttpsServer(identity, (_q, s) => s.end('paid'), { keyLog: serverLog });
      const port = await listenEphemeral(server);
      const capture = path.join(tmp.dir, 'tls13.pcapng');
      const tshark = await startCapture(port, capture);
      try {
        await markCapture(capture, port);
        const body = await new Promise<string>((resolve, reject) => {
          const req = https.request(
            {
              host: '127.0.0.1',
              port,
              path: '/pos/v1/keylog-probe',
              agent: false,
              ...clientTlsOptions({ ca: ca.trustAnchors(), servername: HOST, minVersion: 'TLSv1.3' }),
            },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => resolve(text));
            },
          );
          clientLog.attachRequest(req);
          req.on('error', reject);
          req.end();
        });
        expect(body).toBe('paid');
        await markCapture(capture, port);
      } finally {
        tshark.kill('SIGINT');
        await once(tshark, 'exit');
        server.close();
        serverLog.close();
        clientLog.close();
      }

      const version = tsharkRead([
        '-r',
        capture,
        '-Y',
        'tls.handshake.type == 2',
        '-T',
        'fields',
        '-e',
        'tls.handshake.extensions.supported_version',
      ]);
      expect(version.trim()).toBe('0x0304');
      const keys = fs.readFileSync(path.join(tmp.dir, 'server.keys'), 'utf8');
      expect(keys).toMatch(/^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]+$/m);
      expect(keys).toMatch(/^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]+$/m);
      expect(fs.statSync(path.join(tmp.dir, 'server.keys')).mode & 0o777).toBe(0o600);

      const fields = [
        '-Y',
        'http',
        '-T',
        'fields',
        '-e',
        'http.request.method',
        '-e',
        'http.request.uri',
        '-e',
        'http.response.code',
      ];
      for (const log of ['server.keys', 'client.keys']) {
        const shown = tsharkRead([
          '-r',
          capture,
          '-o',
          `tls.keylog_file:${path.join(tmp.dir, log)}`,
          ...fields,
        ]);
        expect(shown, log).toContain('GET\t/pos/v1/keylog-probe');
        expect(shown, log).toMatch(/\t200$/m);
      }
      expect(tsharkRead(['-r', capture, ...fields]).trim()).toBe('');
      // tshark starts slowly on a shared machine (each read loads every dissector): a generous bound.
    }, 120_000);
  },
);
