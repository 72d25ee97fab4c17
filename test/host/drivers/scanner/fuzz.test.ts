/**
 * Fuzz runs through a live driver on a real PTY: thousands of random chunks (fixed seed) mixing noise, label
 * fragments, suffixes and SSI packets. Any unhandled error fails the run (vitest reports it); afterwards the
 * driver must still read a good label.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  SsiOpcode,
  SsiSource,
  SsiStatus,
  encodeSsi,
  ssiPacket,
} from '../../../../firmware-sim/scanner/ssi.js';
import { Scanner, UposState } from '../../../../host/drivers/scanner/index.js';
import type { ScannerCommandSetName } from '../../../../host/drivers/scanner/index.js';
import { DeviceLink, EventLog, PtyPeer, SsiPeer, sleep, until } from './helpers.js';

let peer: PtyPeer | undefined;
let link: DeviceLink | undefined;
let scanner: Scanner | undefined;

afterEach(async () => {
  await scanner?.close();
  peer?.vanish();
  link?.remove();
  scanner = undefined;
  peer = undefined;
  link = undefined;
});

/** xorshift32: small, seeded, reproducible. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

const PIECES = [
  ']E04901234567894\r\n',
  ']Q1',
  ']d1',
  '\r\n',
  '\r',
  '\n',
  '\x1d',
  'PREENA1\x06!',
  '\x06!',
  '\x16M\r',
].map((s) => Buffer.from(s, 'latin1'));

function chunk(next: () => number): Buffer {
  const r = next();
  if (r < 0.45) {
    const n = Math.floor(next() * 48);
    return Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
  }
  if (r < 0.75) return PIECES[Math.floor(next() * PIECES.length)]!;
  const data = Buffer.from(Array.from({ length: Math.floor(next() * 40) }, () => Math.floor(next() * 256)));
  const status = next() < 0.3 ? SsiStatus.CONTINUATION : next() < 0.2 ? SsiStatus.RETRANSMIT : 0;
  const packet = encodeSsi(ssiPacket(SsiOpcode.DECODE_DATA, SsiSource.DECODER, [0x1c, ...data], status));
  if (next() < 0.2) packet[packet.length - 1]! ^= 0xff;
  // Sometimes only a piece of it.
  return next() < 0.3 ? packet.subarray(0, Math.floor(next() * packet.length)) : packet;
}

const ACK_REPLY = 'PREENA1\x06,CA2\x06,BK2995C81\x06;SUFENA1\x06,CA2\x06,BK2990D0A\x06!';

async function fuzz(commandSet: ScannerCommandSetName, seed: number): Promise<void> {
  peer = new PtyPeer();
  link = new DeviceLink(peer.ptsPath);
  const ssi = commandSet === 'ssi' ? new SsiPeer(peer) : undefined;
  if (commandSet === 'honeywell') {
    let sent = false;
    peer.onHostBytes = (c) => {
      if (!sent && c.includes(0x21)) {
        sent = true;
        void peer!.write(ACK_REPLY);
      }
    };
  }
  const interByteTimeoutMs = 20;
  scanner = new Scanner({ path: link.path, commandSet, interByteTimeoutMs, maxLabelLength: 2048 });
  const log = new EventLog(scanner);
  await scanner.open();
  await scanner.claim(1000);
  await scanner.setDeviceEnabled(true);
  scanner.decodeData = true;
  scanner.dataEventEnabled = true;

  const next = rng(seed);
  for (let i = 0; i < 3000; i++) {
    await peer.write(chunk(next));
    if (i % 250 === 249) await sleep(interByteTimeoutMs * 2); // let some frames end on silence
  }

  await sleep(interByteTimeoutMs * 3);
  await until('input settled', () => scanner!.dataCount === 0 && scanner!.state === UposState.S_IDLE);
  const good = ']E04006381333931';
  if (ssi) await ssi.send(ssiPacket(SsiOpcode.DECODE_DATA, SsiSource.DECODER, [0x0b, ...Buffer.from(good)]));
  else await peer.write(`${good}\r\n`);
  await until('the good label', () => log.data.some((d) => d.scanData === good));
  expect(scanner.deviceEnabled).toBe(true);
  // Input errors (over-long noise) and labels were delivered along the way; the driver took them all.
  expect(log.events.length).toBeGreaterThan(0);
}

describe('Scanner fuzz (live PTY, fixed seeds)', () => {
  it('plain serial survives 3000 random chunks', async () => {
    await fuzz('none', 0x5eed_0001);
  });

  it('SSI survives 3000 random chunks', async () => {
    await fuzz('ssi', 0x5eed_0002);
  });

  it('Honeywell survives 3000 random chunks', async () => {
    await fuzz('honeywell', 0x5eed_0003);
  });
});
