/** A gateway on a temp SQLite file and a virtual clock, with its client and the parts it talks to. */
import { VirtualClock } from '../../../firmware-sim/clock.js';
import type { LineItem } from '../../../firmware-sim/payment/gateway-api.js';
import { loadGatewayFixtures, type GatewayUser } from '../../../services/gateway/fixtures.js';
import { Gateway, type GatewayLimits } from '../../../services/gateway/gateway.js';
import type { PushSender } from '../../../services/gateway/push.js';
import {
  authResultHex,
  EPOCH,
  GatewayClient,
  HOST_NAME,
  RecordingPush,
  StandInCredit,
  standInCards,
  type HttpAnswer,
  type TlsMaterial,
} from './helpers.js';

export const FIXTURES = loadGatewayFixtures();
export const userOf = (id: string): GatewayUser => FIXTURES.users.find((u) => u.userId === id)!;

export interface Harness {
  gw: Gateway;
  client: GatewayClient;
  clock: VirtualClock;
  credit: StandInCredit;
  push: RecordingPush;
  port: number;
}

export interface OpenOptions {
  dbFile: string;
  tls: TlsMaterial;
  clock?: VirtualClock;
  credit?: StandInCredit;
  push?: RecordingPush;
  /** Another push sender (the SMPP one) instead of the recording stand-in. */
  pushSender?: PushSender;
  limits?: GatewayLimits;
  withClientCa?: boolean;
}

export async function openGateway(o: OpenOptions): Promise<Harness> {
  const clock = o.clock ?? new VirtualClock();
  const credit = o.credit ?? new StandInCredit(standInCards());
  const push = o.push ?? new RecordingPush();
  const gw = new Gateway();
  const port = await gw.start({
    dbFile: o.dbFile,
    clock,
    epochAtClockZero: EPOCH,
    tls: { key: o.tls.serverKey, cert: o.tls.serverCert, ...(o.withClientCa ? { ca: o.tls.caCert } : {}) },
    hostName: HOST_NAME,
    creditHosts: () => credit,
    push: o.pushSender ?? push,
    fixtures: FIXTURES,
    ...(o.limits ? { limits: o.limits } : {}),
    mailSigner: { key: o.tls.serverKey, cert: o.tls.serverCert },
  });
  return { gw, client: new GatewayClient(port, o.tls.caCert), clock, credit, push, port };
}

export const ITEMS: LineItem[] = [
  { goods: 'Green tea', quantity: 2, unitPrice: 300, tax: 60 },
  { goods: 'Rice ball', quantity: 1, unitPrice: 150, tax: 15 },
];
export const TOTAL = 825;

export function sale(userId: string, merchantCode = '1111111111', items = ITEMS, total = TOTAL) {
  return { merchantCode, terminalId: 'POS-01', userId, items, currency: 'JPY', total };
}

let keys = 0;
export const newKey = (): string => `pos-journal-${process.pid}-${++keys}`;

/** The gateway's calendar time in Unix seconds. */
export const nowS = (clock: VirtualClock): number => Math.floor((EPOCH + clock.now()) / 1000);

export function authBody(
  clock: VirtualClock,
  userId: string,
  o: { deviceId?: string; authKey?: string; issuedAtS?: number; validityS?: number } = {},
) {
  const u = userOf(userId);
  const deviceId = o.deviceId ?? u.deviceId;
  return {
    userId,
    deviceId,
    authResult: authResultHex({
      userId,
      deviceId,
      authKey: o.authKey ?? u.authKey,
      issuedAtS: o.issuedAtS ?? nowS(clock) - 60,
      ...(o.validityS !== undefined ? { validityS: o.validityS } : {}),
    }),
  };
}

export const bearer = (session: string): Record<string, string> => ({ authorization: `Bearer ${session}` });

/** POS creates a transaction (embodiment 1) and expects 201. */
export async function createTransaction(h: Harness, userId: string, merchantCode?: string): Promise<string> {
  const r = await h.client.post('/pos/v1/transactions', sale(userId, merchantCode), {
    'idempotency-key': newKey(),
  });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  return r.json.transactionId as string;
}

/** Steps 6–9 up to the method choice; returns the session. */
export async function upToMethods(
  h: Harness,
  id: string,
  userId: string,
): Promise<{ session: string; methods: string[] }> {
  const a = await h.client.post(`/phone/v1/transactions/${id}/authenticate`, authBody(h.clock, userId));
  if (a.status !== 200) throw new Error(`authenticate: ${a.status} ${a.text}`);
  const session = a.json.session as string;
  const g = await h.client.post(`/phone/v1/transactions/${id}/agreement`, { agree: true }, bearer(session));
  if (g.json?.status !== 'choose-method') throw new Error(`agreement: ${g.status} ${g.text}`);
  return { session, methods: g.json.methods as string[] };
}

export function poll(h: Harness, id: string, waitMs = 0): Promise<HttpAnswer> {
  return h.client.get(`/pos/v1/transactions/${id}${waitMs ? `?waitMs=${waitMs}` : ''}`);
}
