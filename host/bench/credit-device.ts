/**
 * An issuer's credit server on the bench (`emu:credit/<issuer code>?cardholders=<file>&port=<n>`): ISO 8583
 * over TCP (services/credit), its cardholders from `fixtures/seed001/cardholders.yaml` (or the file named,
 * relative to that folder), its journal in SQLite in the bench's runtime folder. It is published in the
 * bench's DNS as `issuer-<code>.benchtwin.test`; on a capturing bench it writes the ISO 8583 conversation
 * as pcapng for tshark's iso8583 dissector.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../firmware-sim/clock.js';
import { projectRoot } from '../../devices/project-root.js';
import { CreditServer } from '../../services/credit/credit-server.js';
import { TcpCapture } from '../../devices/capture/tcp-pcap.js';
import { CreditHostConnectionError, Iso8583Client } from '../../devices/cat/iso8583-link.js';
import type { CreditHost } from '../../firmware-sim/cat/credit-host.js';
import type { BenchServices } from './bench-services.js';
import type { DeviceSummary } from './device.js';
import { checkOptions } from './port-actions.js';
import { ServiceDevice } from './service-device.js';

const CREDIT_OPTIONS = ['cardholders', 'port'] as const;

export const issuerHostName = (issuerCode: string): string =>
  `issuer-${issuerCode.toLowerCase()}.benchtwin.test`;

export interface CreditServiceOptions {
  name: string;
  /** FIG. 9's issuer code, e.g. 2a11111. */
  issuerCode: string;
  options: Record<string, string>;
  transportText: string;
  clock: Clock;
  runtimeDir: string;
  services: BenchServices;
  /** pcapng of the ISO 8583 conversations (capturing benches). */
  captureFile?: string | undefined;
}

export function parsePort(transportText: string, value: string | undefined): number {
  const port = value === undefined ? 0 : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${transportText}: port: expected 0 to 65535`);
  return port;
}

export async function createCreditService(o: CreditServiceOptions): Promise<CreditServiceDevice> {
  checkOptions(o.transportText, o.options, CREDIT_OPTIONS);
  if (!/^[0-9a-z]{1,11}$/i.test(o.issuerCode))
    throw new Error(`${o.transportText}: expected emu:credit/<issuer code>, e.g. emu:credit/2a11111`);
  const port = parsePort(o.transportText, o.options['port']);
  const dir = path.join(o.runtimeDir, 'services');
  mkdirSync(dir, { recursive: true });
  const cardholders = path.resolve(
    projectRoot(),
    'fixtures',
    'seed001',
    o.options['cardholders'] ?? 'cardholders.yaml',
  );
  const device = new CreditServiceDevice(o, path.join(dir, `${o.name}.sqlite`), cardholders);
  await device.start(port);
  return device;
}

export class CreditServiceDevice extends ServiceDevice<CreditServer> {
  readonly kind = 'credit';
  private tcpCapture: TcpCapture | undefined;

  constructor(
    private readonly o: CreditServiceOptions,
    readonly dbFile: string,
    readonly cardholdersFile: string,
  ) {
    super(o.name, o.transportText, o.clock);
  }

  get issuerCode(): string {
    return this.o.issuerCode;
  }

  get hostName(): string {
    return issuerHostName(this.o.issuerCode);
  }

  protected async launch(port: number): Promise<{ service: CreditServer; port: number }> {
    const server = new CreditServer();
    const bound = await server.start({
      dbFile: this.dbFile,
      clock: this.clock,
      issuerCode: this.o.issuerCode,
      cardholders: this.cardholdersFile,
      port,
      epochAtClockZero: this.o.services.epochAtClockZero,
      // One capture across restarts: the conversations before and after a kill are in one file.
      ...(this.capture() ? { capture: this.capture()! } : {}),
      log: (line) => this.events.emit('log', { line }),
    });
    this.o.services.register(this.hostName, bound);
    return { service: server, port: bound };
  }

  private capture(): TcpCapture | undefined {
    if (!this.o.captureFile) return undefined;
    this.tcpCapture ??= new TcpCapture(this.o.captureFile, {
      now: () => this.o.services.epochAtClockZero + this.clock.now(),
      description: `ISO 8583 conversations of issuer ${this.o.issuerCode}`,
    });
    return this.tcpCapture;
  }

  override async close(): Promise<void> {
    await super.close();
    this.tcpCapture?.close();
  }

  /** The issuer's journal (authorizations, reversals), read from its database; empty while it is down. */
  journal(): ReturnType<CreditServer['journal']> {
    return this.service?.journal() ?? [];
  }

  summary(): DeviceSummary {
    return {
      name: this.name,
      role: this.name,
      kind: 'credit',
      transport: this.transportText,
      emulated: true,
      endpoint: { transport: 'iso8583', url: `iso8583://127.0.0.1:${this.portValue}` },
    };
  }

  state(): Record<string, unknown> {
    const journal = this.journal();
    return {
      running: this.running,
      port: this.portValue,
      issuerCode: this.o.issuerCode,
      hostName: this.hostName,
      ...(this.o.captureFile ? { capture: this.o.captureFile } : {}),
      journal: {
        authorizations: journal.filter((r) => r.kind !== 'reversal').length,
        approved: journal.filter((r) => r.kind !== 'reversal' && r.responseCode === '00').length,
        reversals: journal.filter((r) => r.kind === 'reversal').length,
      },
    };
  }
}

/** The bench's credit server of an issuer, if the bench has one. */
export function creditServiceOf(
  devices: ReadonlyMap<string, unknown>,
  issuerCode: string,
): CreditServiceDevice | undefined {
  return [...devices.values()].find(
    (d): d is CreditServiceDevice => d instanceof CreditServiceDevice && d.issuerCode === issuerCode,
  );
}

/**
 * A client of the bench's credit server of `issuerCode`, connected on first use (the issuer may be down when
 * its client is made); the client then reconnects by itself after a lost connection.
 */
export class BenchCreditHost implements CreditHost {
  private client: Promise<Iso8583Client> | undefined;

  constructor(
    private readonly o: {
      devices: ReadonlyMap<string, unknown>;
      issuerCode: string;
      clock: Clock;
      /** Field 41 of the client's network management messages. */
      terminalId: string;
      epochAtClockZero: number;
    },
  ) {}

  private get(): Promise<Iso8583Client> {
    this.client ??= this.connect().catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  private async connect(): Promise<Iso8583Client> {
    const issuer = creditServiceOf(this.o.devices, this.o.issuerCode);
    if (!issuer)
      throw new CreditHostConnectionError(`no credit server of issuer ${this.o.issuerCode} on the bench`);
    return Iso8583Client.connect({
      host: '127.0.0.1',
      port: issuer.port,
      clock: this.o.clock,
      terminalId: this.o.terminalId,
      epochAtClockZero: this.o.epochAtClockZero,
    });
  }

  signOn = async (): Promise<void> => (await this.get()).signOn();
  echo = async (): Promise<void> => (await this.get()).echo();
  authorize: CreditHost['authorize'] = async (r) => (await this.get()).authorize(r);
  reverse: CreditHost['reverse'] = async (r) => (await this.get()).reverse(r);
  deliverKey: CreditHost['deliverKey'] = async (r) => (await this.get()).deliverKey(r);

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await (await c?.catch(() => undefined))?.close();
  }
}
