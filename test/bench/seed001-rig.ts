/**
 * The seed-001 embodiment-1 bench of the payments benchmark, in one process on a self-advancing virtual
 * clock: the real SMSC (SMPP, SQLite), credit server (ISO 8583 over TCP, SQLite), gateway (HTTPS, SQLite)
 * with certificates from the bench CA, and N lanes of one phone + one POS terminal each. A phone is the
 * real handset firmware (PhoneModem without a PTY, no BLE) with its own UIM card OS (its own user, device
 * id, auth key and MSISDN) running the real PaymentApp; its POS is the real PosApplication with its own
 * journal, taking the user id from a TypedSource (the clerk types what the phone would send on BLE).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { VirtualClock } from '../../firmware-sim/clock.js';
import { PhoneModem } from '../../firmware-sim/phone/modem.js';
import { handsetForModem, type Handset } from '../../firmware-sim/phone/handset/handset.js';
import { PaymentApp } from '../../firmware-sim/phone/apps/payment/payment-app.js';
import { UimCard } from '../../firmware-sim/uim/card-os.js';
import type { CardProfile } from '../../firmware-sim/uim/profile.js';
import { defaultRsaKeyGenerator, type KeyPairDer } from '../../firmware-sim/uim/keys.js';
import type { LineItem } from '../../firmware-sim/payment/gateway-api.js';
import { loadCardProfile, CARD_FIXTURES_DIR } from '../../devices/profiles/cards.js';
import { loadPhoneProfile, PHONE_FIXTURES_DIR } from '../../devices/profiles/phones.js';
import { NodeHttpsClient } from '../../devices/phone/https-client.js';
import { Iso8583Client } from '../../devices/cat/iso8583-link.js';
import { SimulatedNetwork } from '../../services/smsc/network.js';
import { Smsc } from '../../services/smsc/smsc.js';
import { attachPhone } from '../../services/smsc/phone-attachment.js';
import { CreditServer } from '../../services/credit/credit-server.js';
import type { Cardholder } from '../../services/credit/cardholders.js';
import { Gateway } from '../../services/gateway/gateway.js';
import { loadGatewayFixtures, type GatewayUser } from '../../services/gateway/fixtures.js';
import { SmppPushSender } from '../../services/gateway/smpp-push.js';
import { BenchServices } from '../../host/bench/bench-services.js';
import { GATEWAY_HOST } from '../../host/bench/gateway-device.js';
import { GatewayClient } from '../../host/pos/gateway-client.js';
import { PosApplication, type PosStep, type SaleResult } from '../../host/pos/pos-app.js';
import { TypedSource } from '../../host/pos/user-id-source.js';

const ISSUER = '2a11111';
const MERCHANT = '1111111111';
const SMPP = { systemId: 'benchtwin', password: 'benchtwn' };
export const ITEMS: LineItem[] = [{ goods: 'Coffee', quantity: 2, unitPrice: 500, tax: 100 }];

/** Times (performance.now(), ms) of one payment's milestones, in flow order. */
export interface PaymentTimes {
  start: number;
  /** Step 2 done: the UIM verified the password (PBKDF2) and wrote the authentication result. */
  authenticated: number;
  /** POS: POST /pos/v1/transactions answered (HTTPS + the gateway's commits). */
  transactionNumber: number;
  /** Phone: the push came through the SMSC, the mailbox was fetched and the signed mail checked. */
  mailAccepted: number;
  /** Phone: authenticate answered (the gateway checked the UIM's MAC): details shown. */
  details: number;
  /** Phone: agreement answered: methods shown. */
  methods: number;
  /** Phone: method answered (0100 → 0110 to the credit server): completed shown. */
  phoneCompleted: number;
  /** POS: its long poll saw `completed`. */
  posCompleted: number;
  /** POS: receipt and confirmation journaled, sale done. */
  end: number;
}

export const PHASES: { name: string; from: keyof PaymentTimes; to: keyof PaymentTimes }[] = [
  { name: 'step 2: UIM VERIFY PAYMENT PASSWORD (PBKDF2)', from: 'start', to: 'authenticated' },
  { name: 'POS → gateway: transaction number', from: 'authenticated', to: 'transactionNumber' },
  { name: 'WAP Push via SMSC + mail fetch + check', from: 'transactionNumber', to: 'mailAccepted' },
  { name: 'phone authenticate (HTTPS)', from: 'mailAccepted', to: 'details' },
  { name: 'phone agreement (HTTPS)', from: 'details', to: 'methods' },
  { name: 'phone method + 0100/0110, POS long poll sees it', from: 'methods', to: 'posCompleted' },
  { name: 'POS receipt + confirm journaled', from: 'posCompleted', to: 'end' },
];

let rsa: KeyPairDer | undefined;
/** One RSA key for every card's certificate application (OpenSSL's generation is slow; unused here). */
const sharedRsa = (): KeyPairDer => (rsa ??= defaultRsaKeyGenerator());

/** Luhn check digit appended to `body`. */
function withLuhn(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d *= 2;
    sum += d > 9 ? d - 9 : d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}

interface LaneUser {
  gateway: GatewayUser;
  cardholder: Cardholder;
  card: CardProfile;
}

/** User `i` of the bench: a card of issuer A (the `1234` addition range), a phone, a UIM of its own. */
function laneUser(base: CardProfile, i: number): LaneUser {
  const n = String(i).padStart(5, '0');
  const userId = `B${n}`;
  const password = `PW${n}`;
  const deviceId = `8${n.padStart(6, '0')}`;
  const msisdn = `+4477009${n}`;
  const pan = withLuhn(`12349${String(i).padStart(10, '0')}`);
  const authKey = randomBytes(32).toString('hex').toUpperCase();
  const card: CardProfile = structuredClone(base);
  card.name = `bench-${n}`;
  card.imsi = `00101${String(i).padStart(10, '0')}`;
  card.msisdn = { name: 'My number', number: msisdn };
  card.payment = {
    ...base.payment!,
    deviceId,
    users: [{ userId, password, label: `Card ****${pan.slice(-4)}` }],
    authKey,
  };
  return {
    gateway: {
      userId,
      password,
      deviceId,
      cardNumber: pan,
      expiry: '2812',
      issuerCode: ISSUER,
      name: `Bench User ${n}`,
      msisdn,
      email: `b${n}@phone.benchtwin.test`,
      authKey,
    },
    cardholder: { pan, name: `Bench User ${n}`, expiry: '2812', creditLimit: 1_000_000_000, issuer: ISSUER },
    card,
  };
}

type Waiter = { title: string; resolve: () => void; reject: (e: Error) => void };

/** Screens that end a payment unpaid: the lane records them as failures. */
const FAILURE_SCREENS = new Set([
  'Payment aborted',
  'Authenticate again',
  'Not authenticated',
  'Password blocked',
]);
/** A payment not finished within this much real time is a failure (the bench must never hang). */
const PAYMENT_WALL_LIMIT_MS = 120_000;

class PaymentFailed extends Error {}

/** One phone and its POS terminal; payments run one after another. */
export class Lane {
  readonly times: PaymentTimes[] = [];
  readonly failures: string[] = [];
  private waiters: Waiter[] = [];
  private current: Partial<PaymentTimes> | undefined;

  constructor(
    readonly user: LaneUser,
    readonly handset: Handset,
    readonly pos: PosApplication,
    private readonly source: TypedSource,
    private readonly close: () => Promise<void>,
  ) {
    handset.onEvent((e) => {
      if (e.type === 'app-log' && e.message?.startsWith('mail ') && e.message.endsWith('accepted')) {
        if (this.current) this.current.mailAccepted = performance.now();
      }
      if (e.type !== 'screen') return;
      const title = e.screen?.title ?? '';
      if (FAILURE_SCREENS.has(title)) {
        const why = new PaymentFailed(`${title}: ${(e.screen?.lines ?? []).join(' / ')}`);
        for (const w of this.waiters.splice(0)) w.reject(why);
        return;
      }
      for (const w of [...this.waiters]) {
        if (w.title === title) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve();
        }
      }
    });
    pos.on('step', (s: PosStep) => {
      if (!this.current) return;
      if (s.step === 'transaction-number') this.current.transactionNumber = performance.now();
      if (s.step === 'completed') this.current.posCompleted = performance.now();
    });
  }

  private screen(title: string): Promise<void> {
    if (this.handset.screenJson().title === title) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ title, resolve, reject }));
  }

  /** One complete embodiment-1 payment; true when the POS and the phone both saw it completed. */
  async pay(): Promise<boolean> {
    const t: Partial<PaymentTimes> = { start: performance.now() };
    this.current = t;
    let sale: { saleId: string; done: Promise<SaleResult> } | undefined;
    const limit = setTimeout(() => {
      const why = new PaymentFailed(`no end within ${PAYMENT_WALL_LIMIT_MS} ms of real time`);
      for (const w of this.waiters.splice(0)) w.reject(why);
    }, PAYMENT_WALL_LIMIT_MS);
    try {
      const phoneDone = this.phoneSide(t, () => {
        sale = this.pos.startSale({ items: ITEMS, currency: 'JPY', embodiment: 1 });
        sale.done.catch(() => undefined);
      });
      await phoneDone;
      const result = await sale!.done;
      t.end = performance.now();
      if (result.outcome !== 'completed')
        throw new PaymentFailed(`POS: ${result.outcome} ${result.reason ?? ''}`);
      this.times.push(t as PaymentTimes);
      return true;
    } catch (err) {
      this.failures.push(err instanceof Error ? err.message : String(err));
      if (sale) {
        this.pos.cancel(sale.saleId);
        await sale.done.catch(() => undefined);
      }
      return false;
    } finally {
      clearTimeout(limit);
      this.waiters = [];
      this.current = undefined;
      this.handset.press('end'); // back to the menu, whatever the screen
    }
  }

  /** The user at the phone: step 2, then agree and pick lump sum when the payment request comes. */
  private async phoneSide(t: Partial<PaymentTimes>, startSale: () => void): Promise<void> {
    const h = this.handset;
    const { userId, password } = this.user.gateway;
    const cards = this.screen('Please select a credit card');
    h.launch('seed001-payment');
    await cards;
    const uid = this.screen('User id');
    h.choose(0);
    await uid;
    const pw = this.screen('Password');
    h.enterText(userId);
    h.press('ok');
    await pw;
    const authenticated = this.screen('Authenticated');
    h.enterText(password);
    h.press('ok');
    await authenticated;
    t.authenticated = performance.now();
    // Steps 3-4: the user id reaches the POS (typed by the clerk), the sale starts.
    const details = this.screen('Payment details');
    this.source.enter(userId);
    startSale();
    // Steps 5-12 on the phone: the push launches the app; the user agrees and picks lump sum.
    await details;
    t.details = performance.now();
    const methods = this.screen('Payment method');
    h.press('ok');
    await methods;
    t.methods = performance.now();
    const completed = this.screen('Payment completed');
    h.choose(0);
    await completed;
    t.phoneCompleted ??= performance.now();
  }

  /** Marks the phone's completion screen time (set by the rig's screen listener). */
  notePhoneCompleted(): void {
    if (this.current) this.current.phoneCompleted ??= performance.now();
  }

  async dispose(): Promise<void> {
    await this.close();
  }
}

export interface Rig {
  lanes: Lane[];
  clock: VirtualClock;
  dir: string;
  gatewayDb: string;
  gatewayPort: number;
  /** PEM trust anchors of the bench CA. */
  trust: string;
  close(): Promise<void>;
}

/** Starts the services and `phones` lanes in a fresh temporary folder. */
export async function startRig(phones: number): Promise<Rig> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'benchtwin-seed001-bench-'));
  const clock = new VirtualClock({ autoAdvance: { quietMs: 5 } });
  const services = new BenchServices({ clock, runtimeDir: dir });
  const epochAtClockZero = services.epochAtClockZero;
  const network = new SimulatedNetwork({ clock });
  const smsc = new Smsc({
    dbFile: path.join(dir, 'smsc.sqlite'),
    clock,
    network,
    accounts: [SMPP],
    epochAtClockZero,
  });
  const smscPort = await smsc.listen(0);

  const baseCard = loadCardProfile(path.join(CARD_FIXTURES_DIR, 'usim-seed001.yaml'));
  const users = Array.from({ length: phones }, (_, i) => laneUser(baseCard, i + 1));

  const credit = new CreditServer();
  const creditPort = await credit.start({
    dbFile: path.join(dir, 'credit.sqlite'),
    clock,
    issuerCode: ISSUER,
    cardholders: users.map((u) => u.cardholder),
    port: 0,
    epochAtClockZero,
    log: () => {},
  });
  const creditHost = await Iso8583Client.connect({
    host: '127.0.0.1',
    port: creditPort,
    clock,
    terminalId: 'BTGW0001',
    epochAtClockZero,
  });
  const push = new SmppPushSender({ port: smscPort, ...SMPP, source: 'PayGateway', clock });
  const fixtures = loadGatewayFixtures();
  const identity = services.serverIdentity(GATEWAY_HOST);
  const gateway = new Gateway();
  const gatewayDb = path.join(dir, 'gateway.sqlite');
  const gatewayPort = await gateway.start({
    dbFile: gatewayDb,
    clock,
    epochAtClockZero,
    tls: { key: identity.key, cert: `${identity.cert}${identity.chain}`, ca: services.trustAnchors() },
    hostName: GATEWAY_HOST,
    port: 0,
    creditHosts: () => creditHost,
    push,
    fixtures: { ...fixtures, users: [...fixtures.users, ...users.map((u) => u.gateway)] },
    mailSigner: { key: identity.key, cert: `${identity.cert}${identity.chain}` },
    terminalId: 'BTGW0001',
  });
  services.register(GATEWAY_HOST, gatewayPort);

  const phoneProfile = loadPhoneProfile(path.join(PHONE_FIXTURES_DIR, 'seed001.yaml'));
  phoneProfile.radio.registrationDelayMs = 0;
  const trust = services.trustAnchors();
  const lanes: Lane[] = [];
  for (const [i, user] of users.entries()) {
    const card = UimCard.fromProfile(user.card, { rsaKeyGenerator: sharedRsa });
    card.powerOn();
    const modem = new PhoneModem({ profile: phoneProfile, card, clock, output: () => {} });
    const https = new NodeHttpsClient({ trustedCas: [trust], hosts: services.hosts });
    const handset = handsetForModem(modem, { clock, https, trustedCas: [trust], epochAtClockZero });
    handset.install(new PaymentApp());
    handset.powerOn();
    handset.enterText(user.card.pin1 ?? '1234');
    handset.press('ok');
    const detach = attachPhone(network, {
      msisdn: user.gateway.msisdn,
      deliverSms: (tpdu) => modem.deliverSms(tpdu),
      setSmsBearer: (bearer) => {
        modem.sms.bearer = bearer;
      },
    });
    const source = new TypedSource();
    const pos = PosApplication.open({
      dbFile: path.join(dir, `pos-${i + 1}.sqlite`),
      clock,
      terminalId: `T${String(i + 1).padStart(7, '0')}`,
      merchantCode: MERCHANT,
      gateway: new GatewayClient({
        baseUrl: `https://${GATEWAY_HOST}:${gatewayPort}`,
        ca: trust,
        hosts: services.hosts,
        clock,
      }),
      userIdSource: source,
      epochAtClockZero,
      printer: () => {},
    });
    const lane = new Lane(user, handset, pos, source, async () => {
      await pos.close();
      detach();
    });
    handset.onEvent((e) => {
      if (e.type === 'screen' && e.screen?.title === 'Payment completed') lane.notePhoneCompleted();
    });
    lanes.push(lane);
  }
  return {
    lanes,
    clock,
    dir,
    gatewayDb,
    gatewayPort,
    trust,
    async close() {
      for (const l of lanes) await l.dispose();
      await gateway.close();
      await push.close();
      await creditHost.close();
      await credit.close();
      await smsc.close();
      services.close();
      clock.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
