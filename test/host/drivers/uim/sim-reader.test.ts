/**
 * SimReader over an in-process test card (no PC/SC), in both command classes: class detection, T=0
 * procedure bytes, selection by path, file contents, PIN counters.
 */
import { describe, expect, it } from 'vitest';
import { SW } from '../../../../firmware-sim/uim/codecs.js';
import type { ApduTransport } from '../../../../host/drivers/uim/channel.js';
import { CardStatusError, Fid, SimReader } from '../../../../host/drivers/uim/sim-reader.js';
import { TestCard } from './test-card.js';
import type { TestCardProfile } from './test-card.js';

function transportFor(card: TestCard): ApduTransport & { log: string[] } {
  const log: string[] = [];
  card.powerOn();
  return {
    log,
    async transmit(command) {
      const response = card.transmit(command);
      log.push(`${Buffer.from(command).toString('hex')} -> ${Buffer.from(response).toString('hex')}`);
      return response;
    },
  };
}

function setup(overrides: Partial<TestCardProfile> = {}): {
  card: TestCard;
  reader: SimReader;
  t: ReturnType<typeof transportFor>;
} {
  const card = new TestCard(overrides);
  const t = transportFor(card);
  return { card, reader: new SimReader(t), t };
}

describe.each([
  ['UICC with USIM (test card)', { mode: 'uicc', usim: true }],
  ['UICC without USIM (test card)', { mode: 'uicc', usim: false }],
  ['GSM SIM (test card)', { mode: 'gsm' }],
] as const)('SimReader on a %s', (_name, overrides) => {
  it('detects the command class', async () => {
    const { reader } = setup(overrides);
    expect(await reader.commandClass()).toBe(overrides.mode);
  });

  it('reads the ICCID, SPN and PIN state without a PIN', async () => {
    const { reader, card } = setup(overrides);
    expect(await reader.readIccid()).toBe(card.profile.iccid);
    expect((await reader.readSpn()).name).toBe(card.profile.spn);
    expect(await reader.pinStatus()).toMatchObject({ triesLeft: 3, verified: false, blocked: false });
  });

  it('refuses the IMSI and phone book until the PIN is verified, then reads them', async () => {
    const { reader, card } = setup(overrides);
    const refused = await reader.readImsi().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CardStatusError);
    expect((refused as CardStatusError).needsPin).toBe(true);
    expect(await reader.verifyPin(card.profile.pin)).toMatchObject({ ok: true, verified: true });
    expect(await reader.readImsi()).toBe(card.profile.imsi);
    expect((await reader.readMsisdn()).map((n) => n.number)).toEqual([card.profile.msisdn]);
    const book = await reader.readPhoneBook();
    expect(book.map((e) => [e.record, e.alpha, e.number])).toEqual(
      card.profile.phoneBook.map((e, i) => [i + 1, e.name, e.number]),
    );
  });

  it('counts wrong PINs down to blocked and reports the tries left', async () => {
    const { reader, card } = setup(overrides);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await reader.verifyPin('0000'));
    expect(results.map((r) => [r.ok, r.triesLeft, r.blocked])).toEqual([
      [false, 2, false],
      [false, 1, false],
      [false, 0, true],
    ]);
    if (overrides.mode === 'uicc') {
      expect(results.map((r) => r.sw)).toEqual([0x63c2, 0x63c1, SW.AUTH_METHOD_BLOCKED]);
    } else {
      expect(results.map((r) => r.sw)).toEqual([0x9804, 0x9804, SW.GSM_CHV_BLOCKED]);
    }
    // Even the right PIN is refused now.
    expect(await reader.verifyPin(card.profile.pin)).toMatchObject({ ok: false, blocked: true });
    expect(await reader.pinStatus()).toMatchObject({ blocked: true, triesLeft: 0 });
  });

  it('reports a missing file as not found', async () => {
    const { reader } = setup(overrides);
    const err = (await reader.selectPath([Fid.MF, 0x7f99]).catch((e: unknown) => e)) as CardStatusError;
    expect(err).toBeInstanceOf(CardStatusError);
    expect(err.notFound).toBe(true);
  });
});

describe('SimReader and T=0 procedure bytes (test card)', () => {
  it('sends GET RESPONSE after 61xx and joins answers split over several GET RESPONSEs', async () => {
    const { reader, card, t } = setup({ maxResponseChunk: 7 });
    expect(await reader.readIccid()).toBe(card.profile.iccid);
    expect(t.log.filter((l) => l.startsWith('00c0')).length).toBeGreaterThan(3);
  });

  it('resends with the Le the card asks for after 6Cxx', async () => {
    const { reader, t } = setup();
    await reader.select(Fid.MF);
    await reader.select(Fid.EF_ICCID);
    // 20 bytes asked of a 10-byte file: the card says 6C0A, the reader asks again with Le 0A.
    const bytes = await reader.command(0xb0, 0, 0, undefined, 20);
    expect(bytes.sw).toBe(SW.OK);
    expect(bytes.data.length).toBe(10);
    expect(t.log.slice(-2).map((l) => l.slice(0, 10))).toEqual(['00b0000014', '00b000000a']);
  });

  it('detects a GSM-only SIM by its 6E00 to CLA 00', async () => {
    const { reader, t } = setup({ mode: 'gsm' });
    expect(await reader.commandClass()).toBe('gsm');
    expect(t.log[0]).toMatch(/^00a40004023f00 -> 6e00$/);
    expect(t.log[1]).toMatch(/^a0a40000023f00 -> 9f/);
  });
});
