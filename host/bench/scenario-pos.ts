/**
 * The seed-001 POS application as a scenario driver, and the steps that use it:
 *
 * ```yaml
 * drivers:
 *   pos: { pos: { terminalId: POS00001, merchantCode: '1111111111', gateway: gateway,
 *                 userId: { mobileTerminal: terminal } } }      # or { ble: {} }, { typed: '00001' }, { webShop: {} }
 * steps:
 *   - pos-sale: { driver: pos, items: [{ goods: Coffee, quantity: 2, unitPrice: 1200, tax: 192 }], currency: JPY }
 *   - expect-sale: { driver: pos, outcome: completed, method: L }
 *   - reconcile: { driver: pos }
 * ```
 * The POS reaches the gateway by the name its certificate carries (the bench's DNS), trusts only the bench's
 * root CA, reads user ids from the mobile terminal's serial path or over its own Bluetooth controller, and
 * in embodiment 2 talks ISO 8583 to the issuer's credit server itself.
 */
import path from 'node:path';
import { z } from 'zod';
import { PAYMENT_METHODS } from '../../firmware-sim/payment/gateway-api.js';
import { VirtualController } from '../../devices/ble/controller.js';
import { unregisterVirtualController } from '../../devices/ble/seam/registry.js';
import { BlePhoneLink } from '../drivers/phone/ble-phonelink.js';
import { GatewayClient } from '../pos/gateway-client.js';
import { PosApplication, type SaleResult } from '../pos/pos-app.js';
import {
  BlePhoneSource,
  MobileTerminalSource,
  TypedSource,
  type UserIdSource,
} from '../pos/user-id-source.js';
import { WEB_SHOP_HOST, WebShopSource } from '../pos/web-shop-source.js';
import type { RunningBench } from './bench.js';
import { BenchCreditHost, CreditServiceDevice } from './credit-device.js';
import { GatewayServiceDevice, GATEWAY_HOST } from './gateway-device.js';
import { reconcile, type Reconciliation } from './reconcile.js';

const name = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a name in lower case letters, digits and "-"');

export const PosDriverSchema = z
  .object({
    /** ISO 8583 field 41 in embodiment 2: up to 8 characters. */
    terminalId: z.string().regex(/^[\x20-\x7e]{1,8}$/, 'up to 8 printable characters'),
    merchantCode: z.string().regex(/^\d{1,15}$/, 'the merchant code of FIG. 10 (digits)'),
    shopName: z.string().optional(),
    /** The bench role of the gateway (emu:gateway). */
    gateway: name,
    userId: z.union([
      z.object({ mobileTerminal: name }).strict(),
      z.object({ ble: z.object({ transport: z.string().optional() }).strict() }).strict(),
      z.object({ typed: z.string().regex(/^[0-9A-Za-z]{1,16}$/) }).strict(),
      /** The web-shop variant: the phone posts the user id to the shop's HTTPS checkout (web-shop-source.ts). */
      z
        .object({
          webShop: z
            .object({
              host: z
                .string()
                .regex(/^[a-z0-9.-]+$/, 'a host name')
                .default(WEB_SHOP_HOST),
            })
            .strict(),
        })
        .strict(),
    ]),
    /**
     * Embodiment 2, FIG. 23 / 24A: per accepted issuer the methods offered here and the merchant code for
     * credit (ISO 8583 field 42). Without it every issuer is accepted with every method.
     */
    creditTable: z
      .array(
        z
          .object({
            issuerCode: z.string().regex(/^[0-9a-z]{1,11}$/, 'an issuer code of FIG. 9'),
            methods: z.array(z.enum(PAYMENT_METHODS)).min(1),
            merchantCodeForCredit: z.string().regex(/^[\x20-\x7e]{1,15}$/, 'up to 15 printable characters'),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();
export type PosDriverConfig = z.output<typeof PosDriverSchema>;

const LineItemSchema = z
  .object({
    goods: z.string().min(1),
    quantity: z.number().int().positive(),
    unitPrice: z.number().int().min(0),
    tax: z.number().int().min(0),
  })
  .strict();

export const POS_STEP_SCHEMAS = [
  z
    .object({
      'pos-sale': z
        .object({
          driver: name,
          items: z.array(LineItemSchema).min(1),
          currency: z.string().regex(/^[A-Z]{3}$/),
          embodiment: z.union([z.literal(1), z.literal(2)]).default(1),
          /** Embodiment 2: the method asked for at the counter. */
          method: z.enum(PAYMENT_METHODS).optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      'expect-sale': z
        .object({
          driver: name,
          outcome: z.enum(['completed', 'aborted', 'declined', 'unknown']),
          reason: z.string().optional(),
          method: z.enum(PAYMENT_METHODS).optional(),
          /** Real milliseconds to wait for the sale to end (a virtual clock jumps its own waits). */
          timeoutMs: z.number().int().positive().default(30_000),
        })
        .strict(),
    })
    .strict(),
  z.object({ 'pos-cancel': z.object({ driver: name }).strict() }).strict(),
  z.object({ 'pos-restart': z.object({ driver: name }).strict() }).strict(),
  z
    .object({
      reconcile: z
        .object({
          driver: name,
          /** Expected verdicts, counted over every payment of the run. */
          completed: z.number().int().min(0).optional(),
          aborted: z.number().int().min(0).optional(),
        })
        .strict(),
    })
    .strict(),
] as const;

export const POS_STEP_KINDS = ['pos-sale', 'expect-sale', 'pos-cancel', 'pos-restart', 'reconcile'];

export type Transcript = (line: Record<string, unknown>) => void;

/** A POS application the scenario holds, with its sales. */
export class HeldPos {
  app!: PosApplication;
  private source!: UserIdSource;
  private ble: { link: BlePhoneLink; controller?: VirtualController } | undefined;
  /** The sales started, in order; expect-sale takes the oldest not yet expected. */
  readonly sales: { saleId: string; done: Promise<SaleResult> }[] = [];
  private expected = 0;
  readonly dbFile: string;

  private constructor(
    readonly driverName: string,
    private readonly config: PosDriverConfig,
    private readonly bench: RunningBench,
    private readonly transcript: Transcript,
  ) {
    this.dbFile = path.join(bench.runtimeDir, `pos-${driverName}.sqlite`);
  }

  static async open(
    driverName: string,
    config: PosDriverConfig,
    bench: RunningBench,
    transcript: Transcript,
  ): Promise<HeldPos> {
    const held = new HeldPos(driverName, config, bench, transcript);
    await held.start();
    return held;
  }

  private gatewayDevice(): GatewayServiceDevice {
    const g = this.bench.devices.get(this.config.gateway);
    if (!(g instanceof GatewayServiceDevice))
      throw new Error(`driver ${this.driverName}: ${this.config.gateway} is not an emu:gateway role`);
    return g;
  }

  private async openSource(): Promise<UserIdSource> {
    const u = this.config.userId;
    if ('typed' in u) {
      const typed = new TypedSource();
      typed.enter(u.typed);
      return typed;
    }
    if ('webShop' in u) return this.openWebShop(u.webShop.host);
    if ('mobileTerminal' in u) {
      const device = this.bench.devices.get(u.mobileTerminal);
      const p = device?.summary().endpoint.path;
      if (!p) throw new Error(`driver ${this.driverName}: ${u.mobileTerminal} has no serial path to open`);
      const source = await MobileTerminalSource.open({ path: p, clock: this.bench.clock });
      source.on('line', (direction, text) =>
        this.transcript({
          time: Date.now(),
          from: direction === 'toTerminal' ? this.driverName : u.mobileTerminal,
          to: direction === 'toTerminal' ? u.mobileTerminal : this.driverName,
          type: 'rs232c',
          text,
        }),
      );
      return source;
    }
    let controller: VirtualController | undefined;
    if (u.ble.transport === undefined) {
      controller = new VirtualController({
        air: this.bench.air(),
        address: '5a:50:00:00:0f:11',
        name: this.driverName,
      });
    }
    const link = await BlePhoneLink.open({
      transport: controller ?? u.ble.transport!,
      clock: this.bench.clock,
    });
    this.ble = { link, ...(controller ? { controller } : {}) };
    return new BlePhoneSource({ link, clock: this.bench.clock });
  }

  /** The shop's checkout on HTTPS with a bench-CA certificate, published in the bench's DNS. */
  private async openWebShop(host: string): Promise<UserIdSource> {
    const services = this.bench.services;
    const identity = services.serverIdentity(host);
    const shop = await WebShopSource.open({
      tls: { key: identity.key, cert: `${identity.cert}${identity.chain}` },
      clock: this.bench.clock,
    });
    services.register(host, shop.port);
    shop.on('exchange', (e) =>
      this.transcript({ time: Date.now(), from: 'web', to: this.driverName, type: 'https', host, ...e }),
    );
    return shop;
  }

  private async start(): Promise<void> {
    const gateway = this.gatewayDevice();
    const services = this.bench.services;
    this.source = await this.openSource();
    const client = new GatewayClient({
      baseUrl: `https://${GATEWAY_HOST}:${gateway.port}`,
      ca: services.trustAnchors(),
      hosts: services.hosts,
      clock: this.bench.clock,
      // The POS↔gateway JSON as the POS sent and read it (inside TLS), for the transcript and its checks.
      onExchange: (e) =>
        this.transcript({
          time: Date.now(),
          from: this.driverName,
          to: this.config.gateway,
          type: 'https',
          ...e,
        }),
    });
    this.app = PosApplication.open({
      dbFile: this.dbFile,
      clock: this.bench.clock,
      terminalId: this.config.terminalId,
      merchantCode: this.config.merchantCode,
      ...(this.config.shopName ? { shopName: this.config.shopName } : {}),
      ...(this.config.creditTable ? { creditTable: this.config.creditTable } : {}),
      gateway: client,
      userIdSource: this.source,
      epochAtClockZero: services.epochAtClockZero,
      creditHost: (issuerCode) =>
        new BenchCreditHost({
          devices: this.bench.devices,
          issuerCode,
          clock: this.bench.clock,
          terminalId: this.config.terminalId,
          epochAtClockZero: services.epochAtClockZero,
        }),
      printer: (receipt) =>
        this.transcript({ time: Date.now(), from: this.driverName, to: 'printer', type: 'receipt', receipt }),
    });
    this.app.on('step', (s) =>
      this.transcript({
        time: Date.now(),
        from: this.driverName,
        to: 'journal',
        type: `pos-${s.step}`,
        ...s,
      }),
    );
  }

  startSale(request: Parameters<PosApplication['startSale']>[0]): string {
    const sale = this.app.startSale(request);
    // A sale the scenario never waits for still must not reject unhandled.
    sale.done.catch(() => undefined);
    this.sales.push(sale);
    return sale.saleId;
  }

  nextSale(): { saleId: string; done: Promise<SaleResult> } | undefined {
    return this.sales[this.expected++];
  }

  /** Closes the application as a crash would leave it (the journal stays), opens it again and resumes. */
  async restart(): Promise<number> {
    await this.app.close();
    await this.closeSource();
    await this.start();
    const unfinished = this.app.journal.unfinished().map((s) => s.saleId);
    const resumed = this.app.resume();
    resumed.catch(() => undefined);
    // The scenario's pending sales now end through the resumed runs.
    for (const [i, s] of this.sales.entries()) {
      if (unfinished.includes(s.saleId)) {
        this.sales[i] = {
          saleId: s.saleId,
          done: resumed.then((all) => all.find((r) => r.saleId === s.saleId)!),
        };
      }
    }
    return unfinished.length;
  }

  reconcile(): Reconciliation {
    const issuers = [...this.bench.devices.values()]
      .filter((d): d is CreditServiceDevice => d instanceof CreditServiceDevice)
      .flatMap((d) => d.journal());
    return reconcile(this.app.journal.all(), this.gatewayDevice().journal(), issuers);
  }

  private async closeSource(): Promise<void> {
    await this.source.close().catch(() => undefined);
    if (this.ble) {
      await this.ble.link.close().catch(() => undefined);
      if (this.ble.controller) {
        this.ble.controller.close();
        unregisterVirtualController(this.ble.controller);
      }
      this.ble = undefined;
    }
  }

  async close(): Promise<void> {
    await this.app.close().catch(() => undefined);
    await this.closeSource();
  }
}

const describeSale = (r: SaleResult): string =>
  [
    `sale ${r.saleId}: ${r.outcome}`,
    r.reason ? `reason ${r.reason}` : undefined,
    r.transactionId ? `transaction ${r.transactionId}` : undefined,
    r.method ? `method ${r.method}` : undefined,
    r.approvalCode ? `approval ${r.approvalCode}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');

/** Runs one POS step; undefined when `kind` is not a POS step. */
export async function runPosStep(
  kind: string,
  body: Record<string, unknown>,
  pos: ReadonlyMap<string, HeldPos>,
): Promise<[boolean, string] | undefined> {
  if (!POS_STEP_KINDS.includes(kind)) return undefined;
  const held = pos.get(body['driver'] as string);
  if (!held) return [false, `${String(body['driver'])} is not a pos driver`];
  switch (kind) {
    case 'pos-sale': {
      const embodiment = body['embodiment'] as 1 | 2;
      const saleId = held.startSale({
        items: body['items'] as never,
        currency: body['currency'] as string,
        embodiment,
        ...(body['method'] !== undefined ? { method: body['method'] as never } : {}),
      });
      return [true, `sale ${saleId} entered (embodiment ${embodiment}): the POS waits for the user id`];
    }
    case 'expect-sale': {
      const sale = held.nextSale();
      if (!sale) return [false, 'no sale was started to expect'];
      const timeoutMs = body['timeoutMs'] as number;
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        sale.done,
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs))),
      ]).finally(() => clearTimeout(timer));
      if (!r) return [false, `sale ${sale.saleId} did not end within ${timeoutMs} ms`];
      const problems: string[] = [];
      if (r.outcome !== body['outcome'])
        problems.push(`outcome ${r.outcome}, expected ${String(body['outcome'])}`);
      if (body['reason'] !== undefined && r.reason !== body['reason'])
        problems.push(`reason ${r.reason ?? 'none'}, expected ${String(body['reason'])}`);
      if (body['method'] !== undefined && r.method !== body['method'])
        problems.push(`method ${r.method ?? 'none'}, expected ${String(body['method'])}`);
      return problems.length
        ? [false, `${describeSale(r)}: ${problems.join('; ')}`]
        : [true, describeSale(r)];
    }
    case 'pos-cancel': {
      const last = held.sales.at(-1);
      if (!last) return [false, 'no sale to cancel'];
      held.app.cancel(last.saleId);
      return [true, `clerk cancelled sale ${last.saleId}`];
    }
    case 'pos-restart': {
      const n = await held.restart();
      return [true, `POS restarted from its journal; ${n} unfinished sale(s) resumed`];
    }
    case 'reconcile': {
      const r = held.reconcile();
      const count = (v: string) => r.payments.filter((p) => p.verdict === v).length;
      const summary = `${r.payments.length} payment(s): ${count('completed')} completed exactly once, ${count('aborted')} aborted with no charge`;
      const problems = [...r.problems];
      if (body['completed'] !== undefined && count('completed') !== body['completed'])
        problems.push(`${count('completed')} completed, expected ${String(body['completed'])}`);
      if (body['aborted'] !== undefined && count('aborted') !== body['aborted'])
        problems.push(`${count('aborted')} aborted, expected ${String(body['aborted'])}`);
      return problems.length
        ? [false, `${summary}; ${problems.join('; ')}`]
        : [true, `${summary}; POS, gateway and issuers agree`];
    }
  }
  return undefined;
}
