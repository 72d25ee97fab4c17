/**
 * The seed-001 payment gateway on the bench (`emu:gateway/<name>?smsc=<role>&port=<n>&phoneTimeoutMs=…`):
 * payment server and direction server (services/gateway) behind `https://gateway.benchtwin.test`, with a
 * certificate from the bench's CA. It reaches each issuer's credit server of the bench (emu:credit roles) by
 * issuer code over ISO 8583, and phones through the bench's SMSC (SMPP) for the WAP Push reception notice.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../firmware-sim/clock.js';
import type { CreditHost } from '../../firmware-sim/cat/credit-host.js';
import { Gateway, type GatewayLimits } from '../../services/gateway/gateway.js';
import { loadGatewayFixtures } from '../../services/gateway/fixtures.js';
import { SmppPushSender } from '../../services/gateway/smpp-push.js';
import type { PushSender } from '../../services/gateway/push.js';
import type { BenchServices } from './bench-services.js';
import type { BenchDevice, DeviceSummary } from './device.js';
import { BenchCreditHost, parsePort } from './credit-device.js';
import { SmscServiceDevice } from './smsc-device.js';
import { checkOptions } from './port-actions.js';
import { ServiceDevice } from './service-device.js';

const GATEWAY_OPTIONS = ['smsc', 'port', 'phoneTimeoutMs', 'confirmationTimeoutMs'] as const;
export const GATEWAY_HOST = 'gateway.benchtwin.test';
/** Field 41 of the gateway's ISO 8583 messages. */
const GATEWAY_TERMINAL_ID = 'BTGW0001';

export interface GatewayServiceOptions {
  name: string;
  options: Record<string, string>;
  transportText: string;
  clock: Clock;
  runtimeDir: string;
  services: BenchServices;
  /** The devices of the bench started so far (the SMSC and credit servers come before the gateway). */
  devices: ReadonlyMap<string, BenchDevice>;
}

function positiveMs(o: GatewayServiceOptions, key: string): number | undefined {
  const v = o.options[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${o.transportText}: ${key}: expected milliseconds`);
  return n;
}

export async function createGatewayService(o: GatewayServiceOptions): Promise<GatewayServiceDevice> {
  checkOptions(o.transportText, o.options, GATEWAY_OPTIONS);
  const port = parsePort(o.transportText, o.options['port']);
  const smscs = [...o.devices.values()].filter((d): d is SmscServiceDevice => d instanceof SmscServiceDevice);
  const smscRole = o.options['smsc'];
  const smsc = smscRole === undefined ? smscs[0] : o.devices.get(smscRole);
  if (!(smsc instanceof SmscServiceDevice)) {
    throw new Error(
      smscRole === undefined
        ? `${o.transportText}: the gateway sends its reception notices through an SMSC: put an emu:smsc role before it`
        : `${o.transportText}: smsc: "${smscRole}" is not an emu:smsc role listed before the gateway`,
    );
  }
  const limits: GatewayLimits = {};
  const phoneTimeoutMs = positiveMs(o, 'phoneTimeoutMs');
  const confirmationTimeoutMs = positiveMs(o, 'confirmationTimeoutMs');
  if (phoneTimeoutMs !== undefined) limits.phoneTimeoutMs = phoneTimeoutMs;
  if (confirmationTimeoutMs !== undefined) limits.confirmationTimeoutMs = confirmationTimeoutMs;
  const dir = path.join(o.runtimeDir, 'services');
  mkdirSync(dir, { recursive: true });
  const device = new GatewayServiceDevice(o, path.join(dir, `${o.name}.sqlite`), smsc, limits);
  await device.start(port);
  return device;
}

export class GatewayServiceDevice extends ServiceDevice<Gateway> {
  private readonly creditHosts = new Map<string, BenchCreditHost>();
  private push: SmppPushSender | undefined;

  constructor(
    private readonly o: GatewayServiceOptions,
    readonly dbFile: string,
    private readonly smsc: SmscServiceDevice,
    private readonly limits: GatewayLimits,
  ) {
    super(o.name, o.transportText, o.clock);
  }

  /** `https://gateway.benchtwin.test:<port>`: the name the certificate carries. */
  get url(): string {
    return `https://${GATEWAY_HOST}:${this.portValue}`;
  }

  private creditHost(issuerCode: string): CreditHost {
    let host = this.creditHosts.get(issuerCode);
    if (!host) {
      host = new BenchCreditHost({
        devices: this.o.devices,
        issuerCode,
        clock: this.clock,
        terminalId: GATEWAY_TERMINAL_ID,
        epochAtClockZero: this.o.services.epochAtClockZero,
      });
      this.creditHosts.set(issuerCode, host);
    }
    return host;
  }

  private pushSender(): PushSender {
    // The SMSC may restart on another session: a sender per gateway start, bound on first use.
    this.push ??= new SmppPushSender({
      port: this.smsc.port,
      systemId: this.smsc.account.systemId,
      password: this.smsc.account.password,
      source: 'PayGateway',
      clock: this.clock,
    });
    return this.push;
  }

  protected async launch(port: number): Promise<{ service: Gateway; port: number }> {
    const identity = this.o.services.serverIdentity(GATEWAY_HOST);
    const gateway = new Gateway();
    const bound = await gateway.start({
      dbFile: this.dbFile,
      clock: this.clock,
      epochAtClockZero: this.o.services.epochAtClockZero,
      tls: {
        key: identity.key,
        cert: `${identity.cert}${identity.chain}`,
        ca: this.o.services.trustAnchors(),
      },
      hostName: GATEWAY_HOST,
      port,
      creditHosts: (code) => this.creditHost(code),
      push: { sendWapPush: (p) => this.pushSender().sendWapPush(p) },
      fixtures: loadGatewayFixtures(),
      limits: this.limits,
      // The mail carries the chain up to (not including) the root the phone trusts.
      mailSigner: { key: identity.key, cert: `${identity.cert}${identity.chain}` },
      terminalId: GATEWAY_TERMINAL_ID,
      ...(this.o.services.keyLog ? { keyLog: this.o.services.keyLog } : {}),
    });
    this.o.services.register(GATEWAY_HOST, bound);
    return { service: gateway, port: bound };
  }

  protected override async stop(): Promise<void> {
    await super.stop();
    for (const h of this.creditHosts.values()) await h.close();
    this.creditHosts.clear();
    await this.push?.close();
    this.push = undefined;
  }

  journal(): ReturnType<Gateway['journal']> {
    return this.service?.journal() ?? [];
  }

  summary(): DeviceSummary {
    return {
      name: this.name,
      role: this.name,
      kind: 'gateway',
      transport: this.transportText,
      emulated: true,
      endpoint: { transport: 'https', url: this.url },
    };
  }

  state(): Record<string, unknown> {
    const journal = this.journal();
    const count = (s: string): number => journal.filter((t) => t.state === s).length;
    return {
      running: this.running,
      port: this.portValue,
      url: this.url,
      transactions: { total: journal.length, completed: count('completed'), aborted: count('aborted') },
    };
  }
}
