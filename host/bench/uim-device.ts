/**
 * A UIM twin on the bench: the card OS with its EEPROM image on disk, put into pcscd through vpcd so any
 * PC/SC client (pcsc_scan, opensc-tool, the host's SIM reader) sees it as a card in a reader.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { UimCard } from '../../firmware-sim/uim/card-os.js';
import { loadCardFixtures, type CardProfile } from '../../devices/profiles/cards.js';
import { openStoredCard } from '../../devices/smartcard/eeprom-store.js';
import { readerNameForPort, VpcdBridge } from '../../devices/smartcard/vpcd.js';
import {
  ActionError,
  DeviceEvents,
  type BenchDevice,
  type BenchEvent,
  type DeviceSummary,
} from './device.js';
import { checkOptions } from './port-actions.js';

export const DEFAULT_VPCD = '127.0.0.1:35963';
const UIM_OPTIONS = ['vpcd'] as const;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

/** `host:port` of pcscd's vpcd slot; loopback unless the bench file says otherwise. */
export function parseVpcdAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535)
    throw new Error(`vpcd=${text}: expected host:port, e.g. ${DEFAULT_VPCD}`);
  return { host: (m[1] ?? m[2])!, port };
}

/** The reader name pcscd gives the vpcd slot of this port, or a plain description for other ports. */
function vpcdSlotName(port: number): string {
  try {
    return readerNameForPort(port);
  } catch {
    return `vpcd port ${port}`;
  }
}

export function cardProfile(name: string): CardProfile {
  const profiles = loadCardFixtures();
  const profile = profiles[name];
  if (!profile) throw new Error(`no card profile "${name}"; profiles: ${Object.keys(profiles).join(', ')}`);
  return profile;
}

export interface UimTwinOptions {
  name: string;
  profile: string;
  options: Record<string, string>;
  transportText: string;
  runtimeDir: string;
}

export async function createUimTwin(o: UimTwinOptions): Promise<UimTwinDevice> {
  checkOptions(o.transportText, o.options, UIM_OPTIONS);
  const vpcd = parseVpcdAddress(o.options['vpcd'] ?? DEFAULT_VPCD);
  const profile = cardProfile(o.profile);
  const dir = path.join(o.runtimeDir, 'cards');
  mkdirSync(dir, { recursive: true });
  const card = openStoredCard(path.join(dir, `${o.name}-${profile.name}.img`), profile);
  return new UimTwinDevice(o.name, o.transportText, card, vpcd);
}

const ApduBody = z.object({ apdu: z.string().regex(/^(?:[0-9A-Fa-f]{2}\s?)+$/, 'hex bytes') }).strict();

export class UimTwinDevice implements BenchDevice {
  readonly actions: Record<string, (body: unknown) => Promise<unknown>>;
  readonly readerName: string;
  private bridge: VpcdBridge | undefined;
  private readonly events: DeviceEvents;
  private exchanges = 0;

  constructor(
    readonly name: string,
    private readonly transportText: string,
    readonly card: UimCard,
    private readonly vpcd: { host: string; port: number },
  ) {
    this.events = new DeviceEvents(name);
    this.readerName = vpcdSlotName(vpcd.port);
    this.insert();
    this.actions = {
      insert: async () => {
        if (this.bridge) throw new ActionError('the card is already in the reader', 409);
        this.insert();
        return { inserted: true };
      },
      remove: async () => {
        if (!this.bridge) throw new ActionError('the card is not in the reader', 409);
        await this.remove();
        return { inserted: false };
      },
      'power-cycle': async () => {
        this.card.powerOff();
        return { atr: hex(this.card.powerOn()) };
      },
      apdu: async (body) => {
        const parsed = ApduBody.safeParse(body);
        if (!parsed.success) throw new ActionError('expected {"apdu": "<command APDU in hex>"}');
        if (!this.card.powered) this.card.powerOn();
        const command = Buffer.from(parsed.data.apdu.replace(/\s/g, ''), 'hex');
        const response = this.card.transmit(command);
        this.events.emit('apdu', { command: hex(command), response: hex(response), via: 'control' });
        return { response: hex(response), sw: hex(response.subarray(-2)) };
      },
    };
  }

  /** Resolves once pcscd's vpcd driver has taken the card. */
  ready(timeoutMs: number): Promise<void> {
    if (!this.bridge) return Promise.reject(new Error('the card is not in the reader'));
    return this.bridge.waitConnected(timeoutMs).catch(() => {
      throw new Error(
        `pcscd's vpcd driver did not answer at ${this.vpcd.host}:${this.vpcd.port} within ${timeoutMs} ms: ` +
          'is pcscd running with vsmartcard-vpcd installed (scripts/install-oracles.sh; pcscd --foreground)?',
      );
    });
  }

  summary(): DeviceSummary {
    return {
      name: this.name,
      role: this.name,
      kind: 'uim',
      transport: this.transportText,
      emulated: true,
      endpoint: { transport: 'pcsc', reader: this.readerName },
    };
  }

  state(): Record<string, unknown> {
    return {
      profile: this.card.profileName,
      commandClass: this.card.commandClass,
      atr: hex(this.card.atr),
      powered: this.card.powered,
      inReader: this.bridge?.connected ?? false,
      vpcd: `${this.vpcd.host}:${this.vpcd.port}`,
      exchanges: this.exchanges,
    };
  }

  onEvent(listener: (event: BenchEvent) => void): void {
    this.events.on(listener);
  }

  async close(): Promise<void> {
    await this.remove();
  }

  private insert(): void {
    const bridge = new VpcdBridge(this.card, { ...this.vpcd, readerName: this.readerName });
    bridge.on('connected', () => this.events.emit('inserted', { reader: this.readerName }));
    bridge.on('disconnected', (reason) => this.events.emit('reader-lost', { reason }));
    bridge.on('exchange', (command, response) => {
      this.exchanges++;
      this.events.emit('apdu', { command: hex(command), response: hex(response), via: 'pcsc' });
    });
    this.bridge = bridge;
  }

  private async remove(): Promise<void> {
    const bridge = this.bridge;
    this.bridge = undefined;
    if (bridge) await bridge.close();
    this.card.powerOff();
  }
}
