/**
 * The vpcd bridge and the host's PC/SC layer against the real pcscd, checked by independent peers:
 * opensc-tool and pcsc_scan as PC/SC clients, vsmartcard's own `vicc` as a virtual card.
 *
 * Every test here that uses pcscd's vpcd slots lives in this one file and runs in order, holding the
 * harness's pcscd lease (test/pcscd.ts): slot 0 (35963, "Virtual PCD 00 00") carries our bridged cards,
 * slot 1 (35964, "Virtual PCD 00 01") carries vicc. The restart test uses a private pcscd of its own on
 * other ports, so it never stops a pcscd it did not start.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CARD_FIXTURES_DIR, loadCardProfile } from '../../../devices/profiles/cards.js';
import { VpcdBridge, readerNameForPort } from '../../../devices/smartcard/vpcd.js';
import type { SmartCard } from '../../../firmware-sim/uim/card.js';
import { UimCard } from '../../../firmware-sim/uim/card-os.js';
import { readCardReport } from '../../../host/drivers/uim/card-report.js';
import {
  PcscError,
  connect,
  findReaderWithAtr,
  listReaders,
  pcscAvailable,
  waitForCard,
  waitForCardRemoval,
} from '../../../host/drivers/uim/pcsc.js';
import type { CardChannel } from '../../../host/drivers/uim/pcsc.js';
import { SimReader } from '../../../host/drivers/uim/sim-reader.js';
import { TestCard } from '../../host/drivers/uim/test-card.js';
import {
  PrivatePcscd,
  VPCD_PORT_SLOT0,
  VPCD_PORT_SLOT1,
  acquirePcscd,
  hasOpenscTool,
  hasPcscScan,
  pcscdSkipReason,
  privatePcscdSkipReason,
  runTool,
  until,
  viccEnv,
  viccSkipReason,
} from '../../pcscd.js';
import type { PcscdLease } from '../../pcscd.js';

const SLOT0 = readerNameForPort(VPCD_PORT_SLOT0);
const SLOT1 = readerNameForPort(VPCD_PORT_SLOT1);
const colonHex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

const pcscdReason = pcscdSkipReason();
const bindingReason = pcscAvailable() ? undefined : 'needs the smartcard binding (libpcsclite-dev, npm ci)';
const skipAll = pcscdReason !== undefined;
const suffix = (reason: string | undefined): string => (reason ? ` (skipped: ${reason})` : '');

let lease: PcscdLease | undefined;
const bridges: VpcdBridge[] = [];
const channels: CardChannel[] = [];
const children: ChildProcess[] = [];

async function bridged(card: SmartCard, port = VPCD_PORT_SLOT0): Promise<VpcdBridge> {
  const bridge = new VpcdBridge(card, { port, reconnectMs: 50, maxReconnectMs: 500 });
  bridges.push(bridge);
  await bridge.waitConnected(10_000);
  return bridge;
}

/** Waits until an independent client (opensc-tool) sees a card with this ATR in the reader. */
async function openscSeesAtr(
  reader: string,
  atr: Uint8Array,
  env: Record<string, string> = {},
): Promise<void> {
  let last = '';
  await until(
    `opensc-tool to read the ATR in "${reader}"`,
    async () => {
      const r = await runTool('opensc-tool', ['-r', reader, '-a'], { env });
      last = r.stdout + r.stderr;
      return r.status === 0 && r.stdout.trim() === colonHex(atr);
    },
    15_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last output: ${last.trim()}`);
  });
}

afterEach(async () => {
  for (const c of channels.splice(0)) await c.disconnect().catch(() => undefined);
  const used = bridges.length + children.length > 0;
  for (const b of bridges.splice(0)) await b.close();
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
  }
  // pcscd notices a card's removal on its next poll: let it, so the next test does not meet the last card.
  if (used && lease) {
    if (bindingReason) await new Promise((r) => setTimeout(r, 1_500));
    else for (const slot of [SLOT0, SLOT1]) await waitForCardRemoval(slot, { timeoutMs: 10_000 });
  }
});

describe.skipIf(skipAll)(
  `a test card bridged into pcscd, read by independent PC/SC clients${suffix(pcscdReason)}`,
  () => {
    beforeAll(async () => {
      lease = await acquirePcscd();
    }, 150_000);

    afterAll(async () => {
      await lease?.release();
      lease = undefined;
    });

    it('pcscd lists the vpcd slots under the names readerNameForPort gives', async () => {
      expect([SLOT0, SLOT1]).toEqual(['Virtual PCD 00 00', 'Virtual PCD 00 01']);
      if (hasPcscScan) {
        const r = await runTool('pcsc_scan', ['-r']);
        expect(r.stdout).toContain(`: ${SLOT0}`);
        expect(r.stdout).toContain(`: ${SLOT1}`);
      }
    });

    it.skipIf(!hasOpenscTool)(
      `opensc-tool reads the test card's ATR and its answer to SELECT MF${suffix(hasOpenscTool ? undefined : 'needs opensc-tool (Debian opensc)')}`,
      async () => {
        const card = new TestCard();
        await bridged(card);
        await openscSeesAtr(SLOT0, card.atr);
        const r = await runTool('opensc-tool', ['-r', SLOT0, '-s', '00A4000C023F00']);
        expect(r.status).toBe(0);
        expect(r.stdout).toContain('Sending: 00 A4 00 0C 02 3F 00');
        expect(r.stdout).toContain('Received (SW1=0x90, SW2=0x00)');
        expect(card.commands.map((c) => Buffer.from(c).toString('hex'))).toContain('00a4000c023f00');
      },
    );

    it.skipIf(!!bindingReason)(
      `the smartcard binding lists the reader, confirms it by ATR and exchanges APDUs with the test card${suffix(bindingReason)}`,
      async () => {
        const card = new TestCard();
        const bridge = await bridged(card);
        expect(
          await findReaderWithAtr(card.atr, { expectedName: bridge.readerName, timeoutMs: 10_000 }),
        ).toBe(SLOT0);
        const readers = await listReaders();
        const slot0 = readers.find((r) => r.name === SLOT0);
        expect(slot0).toMatchObject({ cardPresent: true, mute: false });
        expect(Buffer.from(slot0!.atr!).toString('hex')).toBe(Buffer.from(card.atr).toString('hex'));

        const channel = await connect(SLOT0);
        channels.push(channel);
        expect(channel.readerName).toBe(SLOT0);
        expect(Buffer.from(channel.atr).toString('hex')).toBe('3b0454455354');
        expect(channel.protocol).toBe('T0');
        // pcscd passes the T=0 procedure bytes through: the 61xx is ours to answer.
        const raw = await channel.transmit(Uint8Array.from([0x00, 0xa4, 0x00, 0x04, 0x02, 0x3f, 0x00]));
        expect(raw[0]).toBe(0x61);

        const reader = new SimReader(channel);
        expect(await reader.commandClass()).toBe('uicc');
        expect(await reader.readIccid()).toBe(card.profile.iccid);
        expect(await reader.verifyPin('9999')).toMatchObject({ ok: false, triesLeft: 2, sw: 0x63c2 });
        expect(await reader.verifyPin(card.profile.pin)).toMatchObject({ ok: true });
        expect(await reader.readImsi()).toBe(card.profile.imsi);

        const atr = await channel.reset('unpower');
        expect(Buffer.from(atr).toString('hex')).toBe('3b0454455354');
        // A cold reset forgets the verified PIN.
        expect(await reader.pinStatus()).toMatchObject({ verified: false, triesLeft: 3 });
      },
    );

    it.skipIf(!!bindingReason)(
      `card read over PC/SC reports the test card in full${suffix(bindingReason)}`,
      async () => {
        const card = new TestCard();
        await bridged(card);
        await waitForCard(SLOT0, { atr: card.atr });
        const channel = await connect(SLOT0);
        channels.push(channel);
        const report = await readCardReport(channel, { pin: card.profile.pin });
        expect(report).toMatchObject({
          reader: SLOT0,
          atr: '3B0454455354',
          protocol: 'T0',
          commandClass: 'uicc',
          iccid: { ok: true, value: card.profile.iccid },
          imsi: { ok: true, value: card.profile.imsi },
          msisdn: { ok: true, value: [card.profile.msisdn] },
          spn: { ok: true, value: card.profile.spn },
          pin: { ok: true, value: { triesLeft: 3, verified: false } },
          pinVerification: { ok: true, value: { ok: true } },
        });
        expect(report.phoneBook.ok && report.phoneBook.value.map((e) => e.name)).toEqual(['Gateway', 'Help']);
      },
    );

    it.skipIf(!!bindingReason)(
      `PC/SC errors come back as clear PcscErrors, and card removal is seen${suffix(bindingReason)}`,
      async () => {
        const missing = await connect('No Such Reader 00 00').catch((e: unknown) => e);
        expect(missing).toBeInstanceOf(PcscError);
        expect((missing as PcscError).code).toBe('unknown-reader');
        expect((missing as PcscError).message).toContain(SLOT0);

        const card = new TestCard();
        const bridge = await bridged(card);
        await waitForCard(SLOT0, { atr: card.atr });
        const channel = await connect(SLOT0);
        channels.push(channel);
        await bridge.close();
        await waitForCardRemoval(SLOT0);
        const gone = await channel
          .transmit(Uint8Array.from([0x00, 0xa4, 0x00, 0x04, 0x02, 0x3f, 0x00]))
          .catch((e: unknown) => e);
        expect(gone).toBeInstanceOf(PcscError);
        expect(['card-removed', 'no-card', 'reader-unavailable', 'communication-error']).toContain(
          (gone as PcscError).code,
        );
        const empty = await connect(SLOT0).catch((e: unknown) => e);
        expect((empty as PcscError).code).toBe('no-card');
      },
    );

    it.skipIf(!!bindingReason || !hasOpenscTool)(
      `the twin (fixtures/cards/usim-seed001) in pcscd: SimReader over the binding and opensc-tool read its ICCID; wrong PINs give 63C2, 63C1, 6983${suffix(bindingReason ?? (hasOpenscTool ? undefined : 'needs opensc-tool (Debian opensc)'))}`,
      async () => {
        const profile = loadCardProfile(path.join(CARD_FIXTURES_DIR, 'usim-seed001.yaml'));
        const twin = UimCard.fromProfile(profile);
        await bridged(twin);
        await waitForCard(SLOT0, { atr: twin.atr });

        // Independent client first: opensc-tool selects EF_ICCID without FCP and reads its 10 bytes.
        const r = await runTool('opensc-tool', [
          '-r',
          SLOT0,
          '-s',
          '00A4000C023F00',
          '-s',
          '00A4000C022FE2',
          '-s',
          '00B000000A',
        ]);
        expect(r.status).toBe(0);
        const answers = r.stdout.split('Received').slice(1);
        expect(answers).toHaveLength(3);
        const last = answers[2]!;
        expect(last).toContain('(SW1=0x90, SW2=0x00)');
        const raw = [...last.matchAll(/\b([0-9A-F]{2})\b/g)].map((m) => parseInt(m[1]!, 16)).slice(0, 10);
        // Nibble-swapped BCD, undone here by hand rather than with the codec under test.
        const digits = raw.map((b) => `${b & 0x0f}${b >> 4 === 0x0f ? '' : b >> 4}`).join('');
        expect(digits).toBe(profile.iccid);

        const channel = await connect(SLOT0);
        channels.push(channel);
        expect(channel.protocol).toBe('T0');
        const reader = new SimReader(channel);
        expect(await reader.commandClass()).toBe('uicc');
        expect(await reader.readIccid()).toBe(profile.iccid);
        const tries = [];
        for (let i = 0; i < 3; i++)
          tries.push(await reader.verifyPin(profile.pin1 === '0000' ? '9999' : '0000'));
        expect(tries.map((t) => t.sw.toString(16).toUpperCase())).toEqual(['63C2', '63C1', '6983']);
        expect(tries.map((t) => t.triesLeft)).toEqual([2, 1, 0]);
        // opensc-tool sees the blocked PIN too (VERIFY without data in the USIM).
        const aid = profile.usimAid ?? '';
        const v = await runTool('opensc-tool', [
          '-r',
          SLOT0,
          '-s',
          `00A4040C${(aid.length / 2).toString(16).padStart(2, '0')}${aid}`,
          '-s',
          '0020000100',
        ]);
        expect(v.stdout.split('Received').at(-1)).toContain('(SW1=0x69, SW2=0x83)');
      },
    );

    it.skipIf(!!bindingReason)(
      `card read over PC/SC reports the GSM twin (fixtures/cards/gsm-sim-seed001) with its payment DF${suffix(bindingReason)}`,
      async () => {
        const profile = loadCardProfile(path.join(CARD_FIXTURES_DIR, 'gsm-sim-seed001.yaml'));
        const twin = UimCard.fromProfile(profile);
        await bridged(twin);
        await waitForCard(SLOT0, { atr: twin.atr });
        const channel = await connect(SLOT0);
        channels.push(channel);
        const report = await readCardReport(channel, { pin: profile.pin1 });
        expect(report).toMatchObject({
          commandClass: 'gsm',
          iccid: { ok: true, value: profile.iccid },
          imsi: { ok: true, value: profile.imsi },
          spn: { ok: true, value: profile.spn.name },
          pinVerification: { ok: true, value: { ok: true } },
          paymentDf: {
            ok: true,
            value: {
              deviceId: profile.payment?.deviceId,
              gatewayUrl: profile.payment?.gatewayUrl,
              users: [{ record: 1, userId: profile.payment?.users[0]?.userId }],
            },
          },
        });
      },
    );

    it.skipIf(!viccEnv || !!bindingReason)(
      `vicc (vsmartcard's own virtual card) on slot 1 talks to the binding and SimReader${suffix(viccSkipReason ?? bindingReason)}`,
      async () => {
        const vicc = spawn('vicc', ['-t', 'iso7816', '-H', '127.0.0.1', '-P', String(VPCD_PORT_SLOT1)], {
          stdio: 'ignore',
          env: { ...process.env, ...viccEnv },
        });
        children.push(vicc);
        const present = await waitForCard(SLOT1, { timeoutMs: 20_000 });
        expect(present.atr?.length).toBeGreaterThan(1);
        if (hasOpenscTool) await openscSeesAtr(SLOT1, present.atr!);

        const channel = await connect(SLOT1);
        channels.push(channel);
        expect(Buffer.from(channel.atr)).toEqual(Buffer.from(present.atr!));
        // vicc's ISO 7816 card is an MF and nothing else. Its SELECT with P2 04 (FCP wanted) crashes vicc
        // 0.8 under Python 3, so this stays with what it answers: SELECT without response data, and errors.
        const reader = new SimReader(channel, { commandClass: 'uicc' });
        expect((await reader.command(0xa4, 0x00, 0x0c, Uint8Array.of(0x3f, 0x00))).sw).toBe(0x9000);
        expect((await reader.command(0xa4, 0x00, 0x0c, Uint8Array.of(0x2f, 0xe2))).sw).toBe(0x6a82);
        expect((await reader.command(0xfe, 0x00, 0x00)).sw).toBe(0x6d00);
        expect(vicc.exitCode).toBeNull();
      },
    );
  },
);

const privateReason =
  privatePcscdSkipReason() ?? (hasOpenscTool ? undefined : 'needs opensc-tool (Debian opensc)');

describe.skipIf(!!privateReason)(`pcscd restarts under a bridged test card${suffix(privateReason)}`, () => {
  const port = 35983;
  let daemon: PrivatePcscd | undefined;

  afterAll(async () => {
    await daemon?.dispose();
  });

  it('the bridge reconnects and the card reappears in the reader', async () => {
    daemon = new PrivatePcscd(port);
    await daemon.start();
    const reader = readerNameForPort(port, { basePort: port });
    const card = new TestCard();
    const bridge = new VpcdBridge(card, { port, reconnectMs: 50, maxReconnectMs: 400 });
    bridges.push(bridge);
    const events: string[] = [];
    bridge.on('connected', () => events.push('connected'));
    bridge.on('disconnected', () => events.push('disconnected'));
    await bridge.waitConnected();
    await openscSeesAtr(reader, card.atr, daemon.env);

    await daemon.stop();
    await until('the bridge to notice', () => !bridge.connected);
    expect(card.powered).toBe(false);
    await daemon.start();
    await bridge.waitConnected(15_000);
    await openscSeesAtr(reader, card.atr, daemon.env);
    expect(events).toEqual(['connected', 'disconnected', 'connected']);
    const r = await runTool('opensc-tool', ['-r', reader, '-s', '00A4000C023F00'], { env: daemon.env });
    expect(r.stdout).toContain('Received (SW1=0x90, SW2=0x00)');
  });
});
