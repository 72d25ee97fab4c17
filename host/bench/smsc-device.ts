/**
 * The SMSC on the bench (`emu:smsc/<name>?port=2775&systemId=…&password=…`): an SMPP 3.4 server with its
 * queue in SQLite in the bench's runtime folder, on the bench's simulated mobile network, where phone twins
 * register by MSISDN. Its endpoint is the SMPP address ESMEs bind to.
 * With `routePrefix=+4917&routeModem=/dev/ttyUSB2[&routePin=…&routeBaud=…]`, numbers of that prefix that no
 * phone of the bench has go out through the AT modem on that path (a real GSM modem, or a phone twin).
 * Actions: `kill` (stop at once, as a crashed process: nothing in flight is waited for) and `restart` (a new
 * server on the same database and port), so tests and scenarios can prove that nothing is lost or doubled.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../firmware-sim/clock.js';
import type { SimulatedNetwork } from '../../services/smsc/network.js';
import { Smsc, type SmscAccount } from '../../services/smsc/smsc.js';
import { AtModem } from '../drivers/phone/at-modem.js';
import { routeThroughModem, type ModemRoute } from './modem-route.js';
import {
  ActionError,
  DeviceEvents,
  type BenchDevice,
  type BenchEvent,
  type DeviceSummary,
} from './device.js';
import { checkOptions } from './port-actions.js';

const SMSC_OPTIONS = [
  'port',
  'systemId',
  'password',
  'routePrefix',
  'routeModem',
  'routePin',
  'routeBaud',
] as const;
export const DEFAULT_SMPP_ACCOUNT: SmscAccount = { systemId: 'benchtwin', password: 'benchtwn' };

export interface SmscServiceOptions {
  name: string;
  options: Record<string, string>;
  transportText: string;
  clock: Clock;
  runtimeDir: string;
  network: SimulatedNetwork;
}

export async function createSmscService(o: SmscServiceOptions): Promise<SmscServiceDevice> {
  checkOptions(o.transportText, o.options, SMSC_OPTIONS);
  const port = o.options['port'] === undefined ? 0 : Number(o.options['port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${o.transportText}: port: expected 0 (any free port) to 65535`);
  const account: SmscAccount = {
    systemId: o.options['systemId'] ?? DEFAULT_SMPP_ACCOUNT.systemId,
    password: o.options['password'] ?? DEFAULT_SMPP_ACCOUNT.password,
  };
  // SMPP 3.4 §5.2.1/5.2.2: system_id up to 15 characters, password up to 8.
  if (account.systemId.length > 15 || account.password.length > 8)
    throw new Error(`${o.transportText}: systemId has at most 15 characters, password at most 8`);
  const dir = path.join(o.runtimeDir, 'smsc');
  mkdirSync(dir, { recursive: true });
  const prefix = o.options['routePrefix'];
  const modemPath = o.options['routeModem'];
  if ((prefix === undefined) !== (modemPath === undefined))
    throw new Error(`${o.transportText}: routePrefix and routeModem go together`);
  if ((o.options['routePin'] ?? o.options['routeBaud']) !== undefined && modemPath === undefined)
    throw new Error(`${o.transportText}: routePin and routeBaud are options of routeModem`);
  if (prefix !== undefined && !/^\+?\d{1,15}$/.test(prefix))
    throw new Error(`${o.transportText}: routePrefix: expected the leading digits of a number, e.g. +4917`);
  const device = new SmscServiceDevice(o, account, path.join(dir, `${o.name}.sqlite`));
  await device.start(port);
  if (prefix !== undefined && modemPath !== undefined) {
    try {
      await device.routeOut(prefix, modemPath, o.options['routePin'], o.options['routeBaud']);
    } catch (err) {
      await device.close();
      throw new Error(`${o.transportText}: route through ${modemPath}: ${(err as Error).message}`);
    }
  }
  return device;
}

export class SmscServiceDevice implements BenchDevice {
  readonly actions: Record<string, (body: unknown) => Promise<unknown>>;
  private readonly events: DeviceEvents;
  private smsc: Smsc | undefined;
  private portValue = 0;
  private route: { modem: AtModem; route: ModemRoute; prefix: string; path: string } | undefined;

  constructor(
    private readonly o: SmscServiceOptions,
    readonly account: SmscAccount,
    readonly dbFile: string,
  ) {
    this.events = new DeviceEvents(o.name);
    this.actions = {
      kill: async () => {
        if (!this.smsc) throw new ActionError('the SMSC is not running', 409);
        await this.smsc.close();
        this.smsc = undefined;
        this.events.emit('killed', {});
        return { running: false };
      },
      restart: async () => {
        if (this.smsc) await this.smsc.close();
        this.smsc = undefined;
        await this.start(this.portValue);
        this.events.emit('restarted', { port: this.portValue });
        return { running: true, port: this.portValue };
      },
    };
  }

  /** The SMPP port (the same one across restarts). */
  get port(): number {
    return this.portValue;
  }

  get running(): boolean {
    return this.smsc !== undefined;
  }

  async start(port: number): Promise<void> {
    const smsc = new Smsc({
      dbFile: this.dbFile,
      clock: this.o.clock,
      network: this.o.network,
      accounts: [this.account],
    });
    try {
      this.portValue = await smsc.listen(port);
    } catch (err) {
      await smsc.close();
      throw new Error(`${this.o.transportText}: cannot listen on port ${port}: ${(err as Error).message}`);
    }
    this.smsc = smsc;
  }

  /** Numbers with `prefix` go out through the AT modem on `modemPath` (opened here, PIN entered). */
  async routeOut(prefix: string, modemPath: string, pin?: string, baud?: string): Promise<void> {
    const baudRate = baud === undefined ? 115200 : Number(baud);
    if (!Number.isInteger(baudRate) || baudRate <= 0) throw new Error(`routeBaud: expected a line speed`);
    const modem = await AtModem.open(modemPath, { baudRate });
    try {
      if (pin !== undefined) await modem.unlock(pin);
    } catch (err) {
      await modem.close();
      throw err;
    }
    this.route = { modem, route: routeThroughModem(this.o.network, prefix, modem), prefix, path: modemPath };
  }

  summary(): DeviceSummary {
    return {
      name: this.o.name,
      role: this.o.name,
      kind: 'smsc',
      transport: this.o.transportText,
      emulated: true,
      endpoint: { transport: 'smpp', url: `smpp://127.0.0.1:${this.portValue}` },
    };
  }

  state(): Record<string, unknown> {
    return {
      running: this.running,
      port: this.portValue,
      systemId: this.account.systemId,
      queue: this.smsc?.store.counts(),
      ...(this.route
        ? { route: { prefix: this.route.prefix, modem: this.route.path, sent: this.route.route.sent } }
        : {}),
    };
  }

  onEvent(listener: (event: BenchEvent) => void): void {
    this.events.on(listener);
  }

  async close(): Promise<void> {
    this.route?.route.close();
    await this.route?.modem.close();
    this.route = undefined;
    await this.smsc?.close();
    this.smsc = undefined;
  }
}
