/**
 * The seed-001 payment application on the real handset with the real UIM (usim-seed001: user 00001,
 * password ABCDEF, 5 tries, auth key shared with the gateway), against a stand-in gateway on a real HTTPS
 * listener on loopback (certificates by the openssl command line), on a virtual clock. The WAP Push
 * arrives as SMS-DELIVER TPDUs through the modem. What the user sees is asserted with screenJson().
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { NodeHttpsClient } from '../../../../../devices/phone/https-client.js';
import type { AbortReason, Mail } from '../../../../../firmware-sim/payment/gateway-api.js';
import { ABORT_REASONS } from '../../../../../firmware-sim/payment/gateway-api.js';
import { PaymentApp } from '../../../../../firmware-sim/phone/apps/payment/payment-app.js';
import { REASON_TEXT } from '../../../../../firmware-sim/phone/apps/payment/texts.js';
import { readAuthResult } from '../../../../../firmware-sim/phone/apps/payment/uim-payment.js';
import { Handset } from '../../../../../firmware-sim/phone/handset/handset.js';
import { VirtualClock } from '../../../../../firmware-sim/clock.js';
import { seedHandset, settle } from '../../handset/helpers.js';
import type { TestPhone } from '../../at/helpers.js';
import { RecordingBlePort, deliverPush, until } from './helpers.js';
import {
  DETAILS,
  HOST,
  MAILBOX,
  StandInGateway,
  hasOpenssl,
  makePki,
  payCommands,
  signedMail,
  type Pki,
} from './stand-in-gateway.js';

/** The phone's calendar at clock zero: now (the openssl certificates are valid from their making on). */
const EPOCH = Math.floor(Date.now() / 1000) * 1000 + 1000;

interface Rig {
  handset: Handset;
  clock: VirtualClock;
  phone: TestPhone;
  gw: StandInGateway;
  ble: RecordingBlePort;
  logs: string[];
}

let pki: Pki;
let current: Rig | undefined;

async function rig(): Promise<Rig> {
  // The stand-in shares the phone's virtual clock, made with the handset below.
  const shared: { clock?: VirtualClock } = {};
  const gw = new StandInGateway(pki, () => EPOCH + (shared.clock?.now() ?? 0));
  const port = await gw.listen();
  const ble = new RecordingBlePort();
  const https = new NodeHttpsClient({ trustedCas: [pki.caPem], hosts: { [HOST]: `127.0.0.1:${port}` } });
  const { handset, clock, phone } = seedHandset({
    pin: '1234',
    extra: { https, trustedCas: [pki.caPem], epochAtClockZero: EPOCH, ble },
  });
  shared.clock = clock;
  clock.advance(1000); // registered: the network can deliver
  handset.install(new PaymentApp());
  const logs: string[] = [];
  handset.onEvent((e) => {
    if (e.type === 'app-log' && e.message) logs.push(e.message);
  });
  current = { handset, clock, phone, gw, ble, logs };
  return current;
}

const screen = (r: Rig) => r.handset.screenJson();

async function press(r: Rig, ...keys: Parameters<Handset['press']>[0][]): Promise<void> {
  for (const k of keys) {
    r.handset.press(k);
    await settle();
  }
}

async function type(r: Rig, text: string): Promise<void> {
  const password = screen(r).title === 'Password';
  r.handset.enterText(text);
  r.handset.press('ok');
  await settle();
  // The card checks a password with a key derivation off the thread: wait for its answer.
  if (password) await leaves(r.handset, 'Password');
}

/** Waits until the screen titled `title` is gone (the UIM derives the password's key off the thread). */
const leaves = (handset: Handset, title: string): Promise<void> =>
  until(handset, () => handset.screenJson().title !== title, `the "${title}" screen to be left`);

/** Step 2 from the menu (or opened with a checkout link `url`): card 0, user id, password. */
async function authenticate(r: Rig, userId = '00001', password = 'ABCDEF', url?: string): Promise<void> {
  r.handset.launch('seed001-payment', url === undefined ? undefined : { url });
  await settle();
  r.handset.choose(0);
  await settle();
  await type(r, userId);
  await type(r, password);
}

async function pushMail(r: Rig, mail: Mail): Promise<void> {
  r.gw.mails = [mail];
  expect(deliverPush(r.phone.modem, MAILBOX)).toEqual([{ ok: true }]);
}

const waitTitle = (r: Rig, title: string) => until(r.handset, () => screen(r).title === title, `"${title}"`);

beforeAll(() => {
  if (hasOpenssl) pki = makePki();
});
afterAll(() => {
  if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
});
afterEach(async () => {
  await current?.gw.close();
  current = undefined;
});

describe.skipIf(!hasOpenssl)(
  `payment application (real handset + UIM, stand-in gateway on HTTPS)${hasOpenssl ? '' : ' (skipped: openssl command not found)'}`,
  () => {
    it('happy path, every screen: card list, user id, masked password, present the phone; push → mail → details → methods → completed (stand-in gateway)', async () => {
      const r = await rig();
      r.handset.launch('seed001-payment');
      await settle();
      expect(screen(r)).toMatchObject({
        title: 'Please select a credit card',
        choices: { items: ['Card A ****4234'], selected: 0 },
      });
      await press(r, 'ok');
      expect(screen(r)).toMatchObject({ title: 'User id', input: { masked: false } });
      await type(r, '00001');
      r.handset.enterText('ABCDEF');
      expect(screen(r)).toMatchObject({ title: 'Password', input: { masked: true, value: '******' } });
      r.handset.press('ok');
      await leaves(r.handset, 'Password');
      expect(screen(r)).toMatchObject({
        title: 'Authenticated',
        lines: [
          'Present your phone to the terminal',
          'User id 00001',
          expect.stringMatching(/^Valid until /),
        ],
        softKeys: { right: 'Close' },
      });
      expect(r.ble.userIds).toEqual(['00001']);
      // The card wrote the result with the phone's calendar time and one hour of validity.
      const auth = readAuthResult(r.phone.modem.sim!);
      expect(auth.ok && auth.value.result).toMatchObject({
        userId: '00001',
        issuedAt: Math.floor((EPOCH + 1000) / 1000),
        expiresAt: Math.floor((EPOCH + 1000) / 1000) + 3600,
      });
      expect(r.gw.requests).toEqual([]); // step 2 sends nothing to the gateway

      await pushMail(r, signedMail(pki.gateway, 'M1', 'payment-request', payCommands('T-100')));
      await waitTitle(r, 'Payment details');
      expect(screen(r)).toMatchObject({
        lines: [
          'Shop: A',
          'Merchant 1111111111',
          'Coffee x2 1,100 JPY',
          'Cake x1 330 JPY',
          'Total: 1,430 JPY',
        ],
        softKeys: { left: 'Agree', right: 'Not agree' },
      });
      expect(r.gw.paths()).toEqual([
        'GET /mail/v1/mailboxes/1234567/messages',
        'POST /phone/v1/transactions/T-100/authenticate',
      ]);
      const sent = r.gw.requests[1]!.body as { userId: string; deviceId: string; authResult: string };
      expect(sent.userId).toBe('00001');
      expect(sent.deviceId).toBe('1234567');
      expect(sent.authResult).toMatch(/^01[0-9a-f]{138}$/);
      expect(r.ble.notified).toEqual([
        { transactionId: 'T-100', amountMinor: DETAILS.total, currency: 'JPY' },
      ]);
      // The push was consumed by the handset, not stored as a text message.
      expect(r.phone.send('AT+CMGL=4\r')).not.toContain('+CMGL');

      await press(r, 'soft-left');
      await waitTitle(r, 'Payment method');
      expect(screen(r).choices).toEqual({ items: ['Lump sum', 'Installments', 'Revolving'], selected: 0 });
      expect(r.gw.requests[2]).toMatchObject({ body: { agree: true }, authorization: 'Bearer S-1' });
      r.ble.confirm({ result: 'Agreed', transactionId: 'T-100' });
      r.ble.confirm({ result: 'Aborted', transactionId: 'OTHER' }); // not this transaction: ignored
      expect(screen(r).notification).toBe('Terminal: Agreed');
      await press(r, 'ok');
      await waitTitle(r, 'Payment completed');
      expect(screen(r)).toMatchObject({
        lines: [
          'Payment has now been completed',
          'Approval code: AP1234',
          'Total: 1,430 JPY',
          'Terminal: Agreed',
        ],
        softKeys: { right: 'Close' },
      });
      expect(r.gw.requests[3]).toMatchObject({ body: { method: 'L' }, authorization: 'Bearer S-1' });
      expect(r.ble.userIds.at(-1)).toBeUndefined(); // the user id is withdrawn after the payment
      await press(r, 'soft-right');
      expect(r.handset.mode).toBe('menu');
      expect(r.ble.subscribers).toBe(0);
    });

    it('installments ask their number; the method call carries it (stand-in gateway)', async () => {
      const r = await rig();
      await authenticate(r);
      await pushMail(r, signedMail(pki.gateway, 'M2', 'payment-request', payCommands('T-101')));
      await waitTitle(r, 'Payment details');
      await press(r, 'soft-left');
      await waitTitle(r, 'Payment method');
      await press(r, 'down', 'ok');
      expect(screen(r)).toMatchObject({ title: 'Installments', input: { mode: 'numeric' } });
      await type(r, '1');
      expect(screen(r).notification).toBe('2 to 36 installments');
      await type(r, '3');
      await waitTitle(r, 'Payment completed');
      expect(r.gw.requests.at(-1)!.body).toEqual({ method: 'I', installments: 3 });
    });

    it('wrong password: error screen with the tries left, nothing sent; Retry with the right one authenticates', async () => {
      const r = await rig();
      await authenticate(r, '00001', 'ABCDEG');
      expect(screen(r)).toMatchObject({
        title: 'Not authenticated',
        lines: ['Wrong user id or password', '4 tries left', 'Nothing was sent.'],
        softKeys: { left: 'Retry', right: 'Close' },
      });
      expect(r.ble.userIds).toEqual([]);
      await press(r, 'soft-left');
      expect(screen(r).title).toBe('User id');
      await type(r, '00001');
      await type(r, 'ABCDEF');
      expect(screen(r).title).toBe('Authenticated');
      expect(r.ble.userIds).toEqual(['00001']);
      expect(r.gw.requests).toEqual([]);
    });

    it("a user id that is not the picked card's is refused before the card is asked", async () => {
      const r = await rig();
      await authenticate(r, '00002', 'FEDCBA');
      expect(screen(r)).toMatchObject({
        title: 'Not authenticated',
        lines: ['The user id is not the selected card\u2019s', 'Nothing was sent.'],
      });
      await press(r, 'soft-right');
      expect(r.handset.mode).toBe('menu');
    });

    it('blocked password: the fifth wrong one shows its own screen, and so does the right one afterwards', async () => {
      const r = await rig();
      await authenticate(r, '00001', 'WRONG1');
      for (let left = 3; left >= 1; left--) {
        await press(r, 'soft-left');
        await type(r, '00001');
        await type(r, 'WRONG1');
        expect(screen(r).lines[1]).toBe(`${left} ${left === 1 ? 'try' : 'tries'} left`);
      }
      await press(r, 'soft-left');
      await type(r, '00001');
      await type(r, 'WRONG1');
      expect(screen(r)).toMatchObject({
        title: 'Password blocked',
        lines: expect.arrayContaining(['Nothing was sent.']),
      });
      await press(r, 'soft-right');
      await authenticate(r, '00001', 'ABCDEF');
      expect(screen(r).title).toBe('Password blocked');
      expect(r.ble.userIds).toEqual([]);
    });

    it('Not agree: the agreement says so and the payment ends with the reason in words (stand-in gateway)', async () => {
      const r = await rig();
      await authenticate(r);
      await pushMail(r, signedMail(pki.gateway, 'M3', 'payment-request', payCommands('T-102')));
      await waitTitle(r, 'Payment details');
      await press(r, 'soft-right');
      await waitTitle(r, 'Payment aborted');
      expect(screen(r).lines).toEqual(['You did not agree to the payment']);
      expect(r.gw.requests.at(-1)!.body).toEqual({ agree: false });
    });

    it('every 403 reason of the authenticate call is shown in words; auth-expired / auth-invalid ask to authenticate again (stand-in gateway)', async () => {
      const r = await rig();
      await authenticate(r);
      for (const reason of ABORT_REASONS) {
        r.gw.authenticateReason = reason;
        await pushMail(
          r,
          signedMail(pki.gateway, `M-${reason}`, 'payment-request', payCommands(`T-${reason}`)),
        );
        const again = reason === 'auth-expired' || reason === 'auth-invalid';
        await until(
          r.handset,
          () => screen(r).lines[0] === REASON_TEXT[reason as AbortReason],
          `the words for ${reason}`,
        );
        expect(screen(r).title).toBe(again ? 'Authenticate again' : 'Payment aborted');
        await press(r, 'soft-right');
        expect(r.handset.mode).toBe('menu');
      }
      expect(new Set(Object.values(REASON_TEXT)).size).toBe(ABORT_REASONS.length);
    });

    it("a decline in the method call's outcome is shown in words (stand-in gateway)", async () => {
      const r = await rig();
      r.gw.methodReason = 'declined-over-limit';
      await authenticate(r);
      await pushMail(r, signedMail(pki.gateway, 'M4', 'payment-request', payCommands('T-103')));
      await waitTitle(r, 'Payment details');
      await press(r, 'soft-left');
      await waitTitle(r, 'Payment method');
      await press(r, 'ok');
      await waitTitle(r, 'Payment aborted');
      expect(screen(r).lines).toEqual(['Declined: over the credit limit']);
    });

    it('an authentication older than one hour is refused by the gateway: shown, and the user authenticates again (stand-in gateway)', async () => {
      const r = await rig();
      await authenticate(r);
      r.clock.advance(3600_000);
      await pushMail(r, signedMail(pki.gateway, 'M5', 'payment-request', payCommands('T-104')));
      await waitTitle(r, 'Authenticate again');
      expect(screen(r)).toMatchObject({
        lines: [
          'Your authentication has expired (one hour)',
          'The payment was aborted.',
          'Please enter your user id and password again.',
        ],
        softKeys: { left: 'Authenticate', right: 'Close' },
      });
      await press(r, 'soft-left');
      expect(screen(r).title).toBe('Please select a credit card');
      await press(r, 'ok');
      await type(r, '00001');
      await type(r, 'ABCDEF');
      expect(screen(r).title).toBe('Authenticated');
    });

    it('no answer within two minutes of the handset clock: "Payment aborted — please start again" (stand-in gateway does not answer)', async () => {
      const r = await rig();
      r.gw.hangAuthenticate = true;
      await authenticate(r);
      await pushMail(r, signedMail(pki.gateway, 'M6', 'payment-request', payCommands('T-105')));
      await until(
        r.handset,
        () => r.gw.paths().some((p) => p.endsWith('/authenticate')),
        'the authenticate call',
      );
      r.clock.advance(119_999);
      await settle();
      expect(screen(r).lines).toContain('Contacting the payment server...');
      r.clock.advance(1);
      await waitTitle(r, 'Payment aborted');
      expect(screen(r).lines).toEqual([
        'Payment aborted \u2014 please start again',
        'The payment server did not answer in time.',
      ]);
    });

    it('a payment the user left (End) and that times out later does not withdraw the user id of a newer authentication (stand-in gateway does not answer)', async () => {
      const r = await rig();
      r.gw.hangAuthenticate = true;
      await authenticate(r);
      await pushMail(r, signedMail(pki.gateway, 'M8', 'payment-request', payCommands('T-108')));
      await until(
        r.handset,
        () => r.gw.paths().some((p) => p.endsWith('/authenticate')),
        'the authenticate call',
      );
      await press(r, 'end');
      await authenticate(r);
      expect(screen(r).title).toBe('Authenticated');
      r.clock.advance(120_000);
      await settle();
      await settle();
      expect(screen(r).title).toBe('Authenticated');
      expect(r.ble.userIds).toEqual(['00001', '00001']);
    });

    const forged: { name: string; mail: () => Mail; reason: RegExp }[] = [
      {
        name: 'a bad signature (commands changed after signing)',
        mail: () => {
          const m = signedMail(pki.gateway, 'F1', 'payment-request', payCommands('T-200'));
          return { ...m, commands: payCommands('T-201') };
        },
        reason: /signature does not verify/,
      },
      {
        name: 'a certificate from another CA',
        mail: () => signedMail(pki.otherCa, 'F2', 'payment-request', payCommands('T-202')),
        reason: /does not chain to a trusted CA/,
      },
      {
        name: 'a certificate for another host',
        mail: () => signedMail(pki.wrongHost, 'F3', 'payment-request', payCommands('T-203')),
        reason: /does not name gateway\.benchtwin\.test/,
      },
      {
        name: 'the wrong action',
        mail: () =>
          signedMail(pki.gateway, 'F4', 'payment-request', {
            ...(payCommands('T-204') as object),
            action: 'refund',
          } as unknown as Mail['commands']),
        reason: /action is not "pay"/,
      },
      {
        name: 'another application',
        mail: () =>
          signedMail(pki.gateway, 'F5', 'payment-request', {
            ...(payCommands('T-205') as object),
            application: 'other-app',
          } as unknown as Mail['commands']),
        reason: /not for the seed001-payment application/,
      },
      {
        name: 'a payment server on another host',
        mail: () =>
          signedMail(
            pki.gateway,
            'F6',
            'payment-request',
            payCommands('T-206', 'https://pay.evil.test/phone/v1'),
          ),
        reason: /payment server is not an https URL on gateway\.benchtwin\.test/,
      },
    ];
    for (const f of forged) {
      it(`a forged mail is ignored with a log event and never starts a payment: ${f.name} (stand-in gateway)`, async () => {
        const r = await rig();
        await authenticate(r);
        const mail = f.mail();
        await pushMail(r, mail);
        await until(
          r.handset,
          () => r.logs.some((l) => l.startsWith(`mail ${mail.messageId} ignored`)),
          'the log',
        );
        expect(r.logs.find((l) => l.startsWith(`mail ${mail.messageId}`))).toMatch(f.reason);
        expect(r.logs.at(-1)).toBe('push ignored: no new mail from the gateway');
        expect(r.gw.paths()).toEqual(['GET /mail/v1/mailboxes/1234567/messages']);
        expect(screen(r).title).toBe('Authenticated');
      });
    }

    it('a push linking to another host is not followed (stand-in gateway sees nothing)', async () => {
      const r = await rig();
      expect(deliverPush(r.phone.modem, 'https://mail.evil.test/mail/v1/mailboxes/1234567/messages')).toEqual(
        [{ ok: true }],
      );
      await until(r.handset, () => r.logs.length > 0, 'the log');
      expect(r.logs).toEqual([`push ignored: link not on https://${HOST}`]);
      expect(r.gw.requests).toEqual([]);
    });

    it('a mail already acted on is not acted on again when the mailbox is fetched again (stand-in gateway)', async () => {
      const r = await rig();
      await authenticate(r);
      await pushMail(r, signedMail(pki.gateway, 'M7', 'payment-request', payCommands('T-107')));
      await waitTitle(r, 'Payment details');
      await press(r, 'end');
      expect(deliverPush(r.phone.modem, MAILBOX)).toEqual([{ ok: true }]);
      await until(r.handset, () => r.logs.at(-1) === 'push ignored: no new mail from the gateway', 'the log');
      expect(r.gw.paths().filter((p) => p.endsWith('/authenticate'))).toHaveLength(1);
    });

    const confirmation = (id: string): Mail =>
      signedMail(pki.gateway, id, 'confirmation-request', {
        application: 'seed001-payment',
        action: 'confirm',
        transactionId: `C-${id}`,
        merchantName: 'B',
        items: DETAILS.items,
        currency: 'JPY',
        total: DETAILS.total,
        replyBy: new Date(EPOCH + 300_000).toISOString(),
      });

    it('embodiment 2: the confirmation request shows the details, asks the password and posts the reply; the gateway accepts (stand-in gateway)', async () => {
      const r = await rig();
      await pushMail(r, confirmation('E1'));
      await waitTitle(r, 'Confirm payment');
      expect(screen(r)).toMatchObject({
        lines: [
          'Shop: B',
          'Coffee x2 1,100 JPY',
          'Cake x1 330 JPY',
          'Total: 1,430 JPY',
          expect.stringMatching(/^Reply by \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/),
        ],
        softKeys: { left: 'Reply', right: 'Ignore' },
      });
      await press(r, 'soft-left');
      expect(screen(r)).toMatchObject({ title: 'Password', input: { masked: true } });
      await type(r, 'ABCDEF');
      await waitTitle(r, 'Payment confirmed');
      expect(screen(r).lines).toEqual([
        'Your reply was accepted',
        'Total: 1,430 JPY',
        'Gateway status: ready',
      ]);
      expect(r.gw.requests.at(-1)).toMatchObject({
        method: 'POST',
        path: '/mail/v1/mailboxes/1234567/messages/E1/reply',
        body: { password: 'ABCDEF' },
      });
    });

    it('embodiment 2: a wrong password is refused by the gateway and shown (stand-in gateway)', async () => {
      const r = await rig();
      await pushMail(r, confirmation('E2'));
      await waitTitle(r, 'Confirm payment');
      await press(r, 'soft-left');
      await type(r, 'ABCDEG');
      await waitTitle(r, 'Not confirmed');
      expect(screen(r).lines).toEqual(['Wrong password', 'The gateway answered: wrong password']);
    });

    it('web-shop variant: opened with a checkout link, the application posts the user id to the shop over HTTPS after the UIM check, not on BLE (stand-in shop on the stand-in gateway listener)', async () => {
      const r = await rig();
      const url = `https://${HOST}/checkout/v1/user-id`;
      await authenticate(r, '00001', 'ABCDEF', url);
      await waitTitle(r, 'Authenticated');
      expect(screen(r).lines.slice(0, 2)).toEqual([`User id sent to ${HOST}`, 'User id 00001']);
      expect(r.gw.requests.at(-1)).toMatchObject({
        method: 'POST',
        path: '/checkout/v1/user-id',
        body: { userId: '00001' },
      });
      expect(r.ble.userIds).toEqual([]);
    });

    it('web-shop variant: a shop with no open checkout (409) is shown, and a link that is not https is never used (stand-in shop)', async () => {
      const r = await rig();
      r.gw.checkoutAnswer = { status: 409, body: { error: 'no checkout is open at this shop' } };
      await authenticate(r, '00001', 'ABCDEF', `https://${HOST}/checkout/v1/user-id`);
      await waitTitle(r, 'Not sent');
      expect(screen(r).lines[0]).toBe('The shop answered: no checkout is open at this shop');
      const before = r.gw.requests.length;
      r.handset.press('ok');
      await settle();
      await authenticate(r, '00001', 'ABCDEF', `http://${HOST}/checkout/v1/user-id`);
      await waitTitle(r, 'Authenticated');
      expect(screen(r).lines[0]).toBe('Present your phone to the terminal');
      expect(r.gw.requests.length).toBe(before);
    });

    it('embodiment 2: a right password whose reply the gateway answers rejected (card expired) shows Not confirmed, never Payment confirmed (stand-in gateway; regression)', async () => {
      const r = await rig();
      r.gw.replyRejection = 'declined-expired-card';
      await pushMail(r, confirmation('E3'));
      await waitTitle(r, 'Confirm payment');
      await press(r, 'soft-left');
      await type(r, 'ABCDEF');
      await waitTitle(r, 'Not confirmed');
      expect(screen(r).lines).toEqual(['Declined: the card has expired', 'The payment was not made.']);
    });
  },
);

describe('payment application step 2 without a gateway: no SIM, the GSM SIM (CLA A0)', () => {
  it('no SIM card: a clear screen, Close returns to the menu', async () => {
    const handset = new Handset({ clock: new VirtualClock() });
    handset.install(new PaymentApp());
    handset.powerOn();
    handset.launch('seed001-payment');
    await settle();
    expect(handset.screenJson()).toMatchObject({
      title: 'Pay',
      lines: ['No SIM card', 'Insert the SIM card with your credit cards.'],
      softKeys: { right: 'Close' },
    });
    handset.press('soft-right');
    expect(handset.mode).toBe('menu');
  });

  it('GSM SIM (gsm-sim-seed001, TS 51.011 class A0): wrong password 9804 shows no count; FEDCBA for 00002 authenticates', async () => {
    const { handset } = seedHandset({ profile: 'seed001-gsm', pin: '0000' });
    handset.install(new PaymentApp());
    handset.launch('seed001-payment');
    await settle();
    expect(handset.screenJson().choices?.items).toEqual(['Card B ****5234']);
    handset.choose(0);
    await settle();
    for (const text of ['00002', 'ABCDEF']) {
      const title = handset.screenJson().title;
      handset.enterText(text);
      handset.press('ok');
      await leaves(handset, title);
    }
    expect(handset.screenJson()).toMatchObject({
      title: 'Not authenticated',
      lines: ['Wrong user id or password', 'Nothing was sent.'],
    });
    handset.press('soft-left');
    await settle();
    for (const text of ['00002', 'FEDCBA']) {
      const title = handset.screenJson().title;
      handset.enterText(text);
      handset.press('ok');
      await leaves(handset, title);
    }
    expect(handset.screenJson()).toMatchObject({
      title: 'Authenticated',
      lines: ['Present your phone to the terminal', 'User id 00002', 'Valid until 2026-01-01 01:00 UTC'],
    });
  });
});
