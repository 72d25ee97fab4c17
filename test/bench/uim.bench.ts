/**
 * UIM twin figures (issue [uim]): APDUs per second in process (READ BINARY, VERIFY — VERIFY saves the card
 * image to disk before answering, as the twin does); the APDU round trip through pcscd (vpcd bridge +
 * PC/SC binding); signatures per second on the card (P-256, RSA-2048) against Node's crypto doing the same
 * outside the card, as a ratio.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { UimCard } from '../../firmware-sim/uim/card-os.js';
import { loadCardFixtures } from '../../devices/profiles/cards.js';
import { openStoredCard } from '../../devices/smartcard/eeprom-store.js';
import { VpcdBridge } from '../../devices/smartcard/vpcd.js';
import { connect, pcscAvailable, type CardChannel } from '../../host/drivers/uim/pcsc.js';
import { acquirePcscd, pcscdSkipReason, type PcscdLease } from '../pcscd.js';
import { report } from './report.js';

const profile = loadCardFixtures()['usim-seed001']!;
const cert = profile.certificate!;
const dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-bench-uim-'));
const h = (s: string): Uint8Array => Buffer.from(s.replace(/\s/g, ''), 'hex');
const block = (digits: string): string =>
  Buffer.concat([Buffer.from(digits), Buffer.alloc(8 - digits.length, 0xff)]).toString('hex');
const sw = (r: Uint8Array): string => Buffer.from(r.subarray(-2)).toString('hex').toUpperCase();

const VERIFY_PIN = h(`00200001 08 ${block(profile.pin1)}`);
const VERIFY_CERT = h(`00200090 08 ${block(cert.password)}`);
const SELECT_ICCID = h('00A4000C 02 2FE2');
const READ_ICCID = h('00B00000 0A');
const HASH = createHash('sha256').update('transaction history: 2 items, total 1200 JPY').digest();

/** Sends an APDU and fetches its answer (61xx → GET RESPONSE until done), failing loudly on an error status. */
function apdu(card: UimCard, command: Uint8Array): Uint8Array {
  let r = card.transmit(command);
  const data: Uint8Array[] = [];
  // 61xx: more data waits (a 2048-bit public key comes in several GET RESPONSEs).
  while (r.length >= 2 && r[r.length - 2] === 0x61) {
    data.push(r.subarray(0, -2));
    r = card.transmit(h(`00C00000 ${r[r.length - 1]!.toString(16).padStart(2, '0')}`));
  }
  if (sw(r) !== '9000') throw new Error(`${Buffer.from(command).toString('hex')} → ${sw(r)}`);
  return Buffer.concat([...data, r.subarray(0, -2)]);
}

const card = openStoredCard(path.join(dir, 'card.img'), profile);
const signer = UimCard.fromProfile(profile);
const rates = { read: [] as number[], verify: [] as number[], p256: [] as number[], rsa: [] as number[] };
const node = { p256: [] as number[], rsa: [] as number[] };
const roundTrips: number[] = [];
const nodeP256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const nodeRsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

function signOnCard(key: '01' | '02', alg: '01' | '02'): void {
  apdu(signer, VERIFY_CERT);
  apdu(signer, h(`002241B6 06 8401${key} 8001${alg}`));
  apdu(signer, h(`002A9E9A 20 ${HASH.toString('hex')} 00`));
}

const pcscSkip = pcscdSkipReason() ?? (pcscAvailable() ? undefined : 'the PC/SC binding is not installed');
let lease: PcscdLease | undefined;
let bridge: VpcdBridge | undefined;
let channel: CardChannel | undefined;

beforeAll(async () => {
  card.powerOn();
  apdu(card, SELECT_ICCID);
  signer.powerOn();
  apdu(signer, VERIFY_PIN);
  apdu(signer, h('00A4000C 02 7F51'));
  apdu(signer, VERIFY_CERT);
  apdu(signer, h('00460001')); // EC P-256 key 01
  apdu(signer, VERIFY_CERT);
  apdu(signer, h('00460002 03 800107')); // RSA-2048 key 02
  if (!pcscSkip) {
    lease = await acquirePcscd();
    bridge = new VpcdBridge(UimCard.fromProfile(profile), { port: 35963 });
    await bridge.waitConnected(10_000);
    for (let i = 0; ; i++) {
      try {
        channel = await connect(bridge.readerName);
        break;
      } catch (err) {
        if (i > 40) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}, 180_000);

afterAll(async () => {
  await channel?.disconnect('leave');
  await bridge?.close();
  await lease?.release();
  rmSync(dir, { recursive: true, force: true });
  const perSecond = (ms: number[]): number => (ms.length * 1000) / ms.reduce((a, b) => a + b, 0);
  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? NaN;
  const ratio = (card: number[], ref: number[]): string => (perSecond(card) / perSecond(ref)).toFixed(2);
  report('UIM twin', [
    {
      figure: 'READ BINARY in process',
      value: `${perSecond(rates.read).toFixed(0)} APDU/s`,
      target: 'reported',
      met: true,
    },
    {
      figure: 'VERIFY in process (image saved)',
      value: `${perSecond(rates.verify).toFixed(0)} APDU/s`,
      target: 'reported',
      met: true,
    },
    pcscSkip
      ? { figure: 'round trip through pcscd', value: 'skipped', target: pcscSkip, met: true }
      : {
          figure: 'READ BINARY through pcscd, median',
          value: `${median(roundTrips).toFixed(2)} ms`,
          target: 'reported',
          met: true,
        },
    {
      figure: 'P-256 signatures on the card',
      value: `${perSecond(rates.p256).toFixed(0)} /s`,
      target: 'reported',
      met: true,
    },
    {
      figure: 'P-256, card / Node crypto',
      value: ratio(rates.p256, node.p256),
      target: 'reported',
      met: true,
    },
    {
      figure: 'RSA-2048 signatures on the card',
      value: `${perSecond(rates.rsa).toFixed(0)} /s`,
      target: 'reported',
      met: true,
    },
    {
      figure: 'RSA-2048, card / Node crypto',
      value: ratio(rates.rsa, node.rsa),
      target: 'reported',
      met: true,
    },
  ]);
});

const timed = (into: number[], fn: () => void) => () => {
  const t0 = performance.now();
  fn();
  into.push(performance.now() - t0);
};

describe('UIM twin', () => {
  bench(
    'READ BINARY EF_ICCID (in process)',
    timed(rates.read, () => apdu(card, READ_ICCID)),
    { iterations: 5000, time: 0 },
  );
  bench(
    'VERIFY PIN1 (in process, image saved)',
    timed(rates.verify, () => apdu(card, VERIFY_PIN)),
    { iterations: 500, time: 0 },
  );
  bench.skipIf(!!pcscSkip)(
    `READ BINARY through pcscd${pcscSkip ? ` (skipped: ${pcscSkip})` : ''}`,
    async () => {
      const t0 = performance.now();
      await channel!.transmit(SELECT_ICCID);
      const r = await channel!.transmit(READ_ICCID);
      roundTrips.push((performance.now() - t0) / 2);
      if (sw(r) !== '9000') throw new Error(`READ BINARY → ${sw(r)}`);
    },
    { iterations: 200, time: 0 },
  );
  bench(
    'P-256 signature on the card',
    timed(rates.p256, () => signOnCard('01', '02')),
    { iterations: 200, time: 0 },
  );
  bench(
    'P-256 signature, Node crypto',
    timed(node.p256, () => sign('sha256', HASH, nodeP256)),
    { iterations: 200, time: 0 },
  );
  bench(
    'RSA-2048 signature on the card',
    timed(rates.rsa, () => signOnCard('02', '01')),
    { iterations: 100, time: 0 },
  );
  bench(
    'RSA-2048 signature, Node crypto',
    timed(node.rsa, () => sign('sha256', HASH, nodeRsa)),
    { iterations: 100, time: 0 },
  );
});
