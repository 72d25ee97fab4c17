/** The card report and its text form, over the in-process test card (no PC/SC). */
import { describe, expect, it } from 'vitest';
import { formatCardReport, readCardReport } from '../../../../host/drivers/uim/card-report.js';
import type { ReportChannel } from '../../../../host/drivers/uim/card-report.js';
import { TestCard } from './test-card.js';
import type { TestCardProfile } from './test-card.js';

function channelFor(card: TestCard): ReportChannel {
  card.powerOn();
  return {
    atr: card.atr,
    protocol: 'T0',
    readerName: 'Test Reader 00 00',
    transmit: async (c) => card.transmit(c),
  };
}

const PAYMENT: NonNullable<TestCardProfile['payment']> = {
  deviceId: 'PHONE-0001',
  gatewayUrl: 'https://gateway.bench.test/pay',
  users: [
    { userId: 'alice', label: 'Visa' },
    { userId: 'alice-mc', label: 'Master' },
  ],
  authResult: {
    authenticated: true,
    userRecord: 1,
    userId: 'alice',
    issuedAt: 1_700_000_000,
    expiresAt: 1_700_003_600,
    sequence: 7,
  },
};

describe('card report (test card)', () => {
  it('reads what needs no PIN and marks the rest as needing it', async () => {
    const card = new TestCard();
    const report = await readCardReport(channelFor(card));
    expect(report).toMatchObject({
      reader: 'Test Reader 00 00',
      atr: '3B0454455354',
      commandClass: 'uicc',
      iccid: { ok: true, value: card.profile.iccid },
      spn: { ok: true, value: card.profile.spn },
      imsi: { ok: false, needsPin: true, sw: '6982' },
      phoneBook: { ok: false, needsPin: true },
      pin: { ok: true, value: { triesLeft: 3, verified: false, blocked: false } },
    });
    expect(report.paymentDf).toBeUndefined();
    expect(report.pinVerification).toBeUndefined();
    const text = formatCardReport(report);
    expect(text).toContain('ICCID:         8949440000001234567');
    expect(text).toContain('IMSI:          (needs the PIN, SW 6982)');
    expect(text).toContain('PIN:           3 tries left, not verified');
    // Round trip through JSON: the report is plain data.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('with the PIN reads everything, the payment DF included', async () => {
    const card = new TestCard({ payment: PAYMENT });
    const report = await readCardReport(channelFor(card), { pin: '1234' });
    expect(report).toMatchObject({
      imsi: { ok: true, value: card.profile.imsi },
      msisdn: { ok: true, value: [card.profile.msisdn] },
      pinVerification: { ok: true, value: { ok: true, verified: true } },
      phoneBook: {
        ok: true,
        value: [
          { record: 1, name: 'Gateway', number: '+441234567890' },
          { record: 2, name: 'Help', number: '150' },
        ],
      },
      paymentDf: {
        ok: true,
        value: {
          deviceId: 'PHONE-0001',
          gatewayUrl: 'https://gateway.bench.test/pay',
          users: [
            { record: 1, userId: 'alice', label: 'Visa' },
            { record: 2, userId: 'alice-mc', label: 'Master' },
          ],
          authResult: {
            userId: 'alice',
            issuedAt: '2023-11-14T22:13:20.000Z',
            expiresAt: '2023-11-14T23:13:20.000Z',
            sequence: 7,
          },
        },
      },
    });
    const text = formatCardReport(report);
    expect(text).toContain('PIN check:     correct');
    expect(text).toMatch(/ {2}1 {2}Gateway {2}\+441234567890/);
    expect(text).toContain('  Gateway URL: https://gateway.bench.test/pay');
    expect(text).toContain('alice (record 1), issued 2023-11-14T22:13:20.000Z');
  });

  it('reports a wrong PIN with the tries left and reads no protected file', async () => {
    const card = new TestCard({ payment: PAYMENT });
    const report = await readCardReport(channelFor(card), { pin: '0000' });
    expect(report.pinVerification).toMatchObject({
      ok: true,
      value: { ok: false, triesLeft: 2, sw: '63C2' },
    });
    expect(report.imsi).toMatchObject({ ok: false, needsPin: true });
    expect(report.paymentDf).toMatchObject({ ok: false, needsPin: true });
    expect(formatCardReport(report)).toContain(
      'PIN check:     wrong (63C2 verification failed, 2 retries remaining); 2 tries left',
    );
  });

  it('does not spend a try on a blocked PIN', async () => {
    const card = new TestCard();
    const channel = channelFor(card);
    for (let i = 0; i < 3; i++)
      card.transmit(
        Uint8Array.from([0x00, 0x20, 0x00, 0x01, 0x08, ...Buffer.from('0000'), 0xff, 0xff, 0xff, 0xff]),
      );
    const report = await readCardReport(channel, { pin: '1234' });
    expect(report.pin).toMatchObject({ ok: true, value: { blocked: true, triesLeft: 0 } });
    expect(report.pinVerification).toMatchObject({ ok: false, error: expect.stringMatching(/blocked/) });
    expect(formatCardReport(report)).toContain('PIN:           blocked (needs the PUK)');
  });

  it('reads a GSM SIM the same way, and says so', async () => {
    const card = new TestCard({ mode: 'gsm' });
    const report = await readCardReport(channelFor(card), { pin: '1234' });
    expect(report).toMatchObject({
      commandClass: 'gsm',
      iccid: { ok: true, value: card.profile.iccid },
      imsi: { ok: true, value: card.profile.imsi },
      pin: { ok: true, value: { triesLeft: 3 } },
      paymentDf: { ok: false, error: 'the card has no payment DF' },
    });
    expect(formatCardReport(report)).toContain('Command class: GSM SIM (CLA A0)');
  });
});
