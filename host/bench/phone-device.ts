/**
 * A phone twin on the bench (`emu:phone/<profile>?ir=on&seed=…`): the AT modem on a pseudo-terminal with the
 * profile's UIM in its SIM holder (the card's EEPROM image kept in the bench's runtime folder), and with
 * `ir=on` an IR port — an emulated IrDA dongle on a second pseudo-terminal with an OBEX server.
 * Actions: power-cycle, faults, unplug/replug (the modem's USB cable), and the IR port's object store.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../firmware-sim/clock.js';
import type { UimCard } from '../../firmware-sim/uim/card-os.js';
import { loadPhoneFixtures, type PhoneProfile } from '../../devices/profiles/phones.js';
import { PhoneTwin } from '../../devices/phone/phone-twin.js';
import type { SimulatedNetwork } from '../../services/smsc/network.js';
import { attachPhone } from '../../services/smsc/phone-attachment.js';
import type { Air } from '../../devices/ble/air.js';
import { startPhoneBle, type PhoneBle } from '../../devices/ble/phone-ble.js';
import { HciCapture } from '../../devices/ble/capture.js';
import { openStoredCard } from '../../devices/smartcard/eeprom-store.js';
import type { SerialCaptureSink } from '../../devices/serial/port.js';
import type { FaultsConfig } from './bench-file.js';
import { checkOptions, serialLinkActions } from './port-actions.js';
import {
  ActionError,
  DeviceEvents,
  type BenchDevice,
  type BenchEvent,
  type DeviceEndpoint,
  type DeviceSummary,
  type DeviceView,
} from './device.js';
import { createIrTwin, type IrTwinDevice } from './ir-device.js';
import { applyKeys, screenJson, screenPng } from './handset-api.js';
import { handsetForModem, type Handset } from '../../firmware-sim/phone/handset/handset.js';
import { cardProfile } from './uim-device.js';
import { NodeHttpsClient } from '../../devices/phone/https-client.js';
import { phoneBlePort } from '../../devices/ble/phone-ble-port.js';
import { PaymentApp } from '../../firmware-sim/phone/apps/payment/payment-app.js';
import type { BenchServices } from './bench-services.js';

const PHONE_OPTIONS = ['ir', 'seed', 'irMaxBaud', 'ble', 'userId', 'card'] as const;

export function phoneProfile(name: string): PhoneProfile {
  const profiles = loadPhoneFixtures();
  const profile = Object.hasOwn(profiles, name) ? profiles[name] : undefined;
  if (!profile) throw new Error(`no phone profile "${name}"; profiles: ${Object.keys(profiles).join(', ')}`);
  return profile;
}

export interface PhoneTwinOptions {
  name: string;
  profile: string;
  options: Record<string, string>;
  transportText: string;
  clock: Clock;
  runtimeDir: string;
  faults?: FaultsConfig | undefined;
  capture?: SerialCaptureSink | undefined;
  /** The bench's mobile network: the phone registers its MSISDN there for SMS. */
  network?: SimulatedNetwork;
  /** The bench's radio medium for Bluetooth LE (ble=on). */
  air?: () => Air;
  /** ble=on on a capturing bench: the phone controller's HCI traffic as pcapng (link type 201). */
  hciCaptureFile?: string | undefined;
  /**
   * The bench's CA, DNS and calendar: the handset's mobile data reaches the bench's services by name and
   * trusts the bench's root CA only, and its payment application checks mails against that root.
   */
  services?: BenchServices;
}

function flag(o: PhoneTwinOptions, key: string): boolean {
  const v = o.options[key];
  if (v === undefined || v === 'off' || v === 'false') return false;
  if (v === 'on' || v === 'true') return true;
  throw new Error(`${o.transportText}: ${key}: expected on or off`);
}

export async function createPhoneTwin(o: PhoneTwinOptions): Promise<PhoneTwinDevice> {
  checkOptions(o.transportText, o.options, PHONE_OPTIONS);
  const seed = o.options['seed'] === undefined ? undefined : Number(o.options['seed']);
  if (seed !== undefined && !Number.isInteger(seed))
    throw new Error(`${o.transportText}: seed: expected an integer`);
  const profile = phoneProfile(o.profile);
  let card: UimCard | undefined;
  let msisdn: string | undefined;
  // `card=<fixture>` puts another card in the SIM holder: the same handset with another subscriber.
  const cardName = o.options['card'] ?? profile.card;
  if (cardName) {
    const cp = cardProfile(cardName);
    const dir = path.join(o.runtimeDir, 'cards');
    mkdirSync(dir, { recursive: true });
    card = openStoredCard(path.join(dir, `${o.name}-${cp.name}.img`), cp);
    msisdn = cp.msisdn?.number;
  }
  const { seed: faultSeed, ...faults } = o.faults ?? {};
  const modemSeed = seed ?? faultSeed;
  if (!msisdn)
    throw new Error(`${o.transportText}: the phone's card has no MSISDN: it cannot join the network`);
  const modem = new PhoneTwin({
    msisdn,
    name: o.name,
    profile,
    ...(card ? { card } : {}),
    clock: o.clock,
    runtimeDir: o.runtimeDir,
    faults,
    ...(modemSeed !== undefined ? { seed: modemSeed } : {}),
    ...(o.capture ? { capture: o.capture } : {}),
  });
  await modem.open();
  let ir: IrTwinDevice | undefined;
  if (flag(o, 'ir')) {
    try {
      ir = await createIrTwin({
        name: `${o.name}-ir`,
        nickname: profile.model.slice(0, 22),
        options: {
          ...(o.options['irMaxBaud'] !== undefined ? { maxBaud: o.options['irMaxBaud'] } : {}),
          ...(modemSeed !== undefined ? { seed: String(modemSeed) } : {}),
        },
        transportText: `${o.transportText} (IR port)`,
        clock: o.clock,
        runtimeDir: o.runtimeDir,
        ...(o.capture ? { capture: o.capture } : {}),
      });
    } catch (err) {
      modem.close();
      throw err;
    }
  } else if (o.options['irMaxBaud'] !== undefined) {
    modem.close();
    throw new Error(`${o.transportText}: irMaxBaud is an option of ir=on`);
  }
  let ble: PhoneBle | undefined;
  let hciCapture: HciCapture | undefined;
  const userId = o.options['userId'];
  if (userId !== undefined && !/^[\x20-\x7e]{1,20}$/.test(userId))
    throw new Error(`${o.transportText}: userId: expected 1 to 20 printable ASCII characters`);
  if (flag(o, 'ble')) {
    try {
      ble = await startPhoneBle({
        ...(o.air ? { air: o.air() } : {}),
        clock: o.clock,
        name: profile.model.slice(0, 20),
        ...(userId !== undefined ? { userId } : {}),
        // The exported H4 transport: a host stack in another process attaches through it as the POS.
        exportH4: 'tcp',
      });
      if (o.hciCaptureFile) {
        hciCapture = new HciCapture({ file: o.hciCaptureFile, clock: o.clock });
        hciCapture.add(ble.phone.controller);
      }
    } catch (err) {
      modem.close();
      await ir?.close();
      throw err;
    }
  } else if (userId !== undefined) {
    modem.close();
    await ir?.close();
    throw new Error(`${o.transportText}: userId is an option of ble=on`);
  }
  const detach = o.network ? attachPhone(o.network, modem) : undefined;
  const https = o.services
    ? new NodeHttpsClient({
        trustedCas: [o.services.trustAnchors()],
        hosts: o.services.hosts,
        userAgent: `${profile.manufacturer} ${profile.model}`,
        ...(o.services.keyLog ? { keyLog: o.services.keyLog } : {}),
      })
    : undefined;
  return new PhoneTwinDevice(
    o.name,
    o.transportText,
    profile,
    modem,
    msisdn,
    ir,
    o.clock,
    detach,
    ble,
    hciCapture,
    https,
    o.services,
  );
}

export class PhoneTwinDevice implements BenchDevice {
  readonly actions: Record<string, (body: unknown) => Promise<unknown>>;
  readonly views: Record<string, (format: string | null) => Promise<DeviceView>>;
  private readonly events: DeviceEvents;
  private handsetValue: Handset;

  constructor(
    readonly name: string,
    private readonly transportText: string,
    readonly profile: PhoneProfile,
    readonly modem: PhoneTwin,
    /** The subscriber number from the card's EF_MSISDN profile, when it has one. */
    readonly msisdn: string | undefined,
    /** The IR port (ir=on). */
    readonly ir: IrTwinDevice | undefined,
    private readonly clock: Clock,
    /** Leaves the mobile network (at close). */
    private readonly detach?: () => void,
    /** The phone's Bluetooth LE side (ble=on): its payment GATT service and the exported H4 transport. */
    readonly ble?: PhoneBle,
    private readonly hciCapture?: HciCapture,
    /** Mobile data (with the bench's services). */
    readonly https?: NodeHttpsClient,
    private readonly services?: BenchServices,
  ) {
    this.events = new DeviceEvents(name);
    this.handsetValue = this.bootHandset();

    ir?.onEvent((e) => {
      const { time: _time, device: _device, type, ...fields } = e;
      this.events.emit(`ir-${type}`, fields);
    });
    const irActions: Record<string, (body: unknown) => Promise<unknown>> = {};
    if (ir) {
      for (const [k, fn] of Object.entries(ir.actions)) irActions[`ir-${k}`] = fn;
    }
    this.views = {
      screen: async (format) => {
        if (format === 'png') return { contentType: 'image/png', body: await screenPng(this.handsetValue) };
        if (format !== null && format !== 'json')
          throw new ActionError(`format=${format}: expected png or json`);
        return {
          contentType: 'application/json',
          body: `${JSON.stringify(screenJson(this.handsetValue))}\n`,
        };
      },
    };
    this.actions = {
      ...irActions,
      // The user at the keypad: {"keys":["1","ok"]}, {"text":"1234"}, {"choose":2}, {"answer":"…"}, {"launch":"id"}.
      keys: async (body) => applyKeys(this.handsetValue, body),
      'power-cycle': async () => {
        modem.powerCycle();
        this.handsetValue = this.bootHandset();
        this.events.emit('power-cycle', {});
        return { ok: true };
      },
      ...serialLinkActions(modem.port.port, this.events),
      // Faults of the seed-001 links: {"up": false} cuts mobile data; {"out": true} takes the phone out of
      // Bluetooth range (the POS's link drops at its supervision timeout).
      'data-link': async (body) => {
        const up = (body as { up?: unknown } | undefined)?.up;
        if (typeof up !== 'boolean') throw new ActionError('expected {"up": true} or {"up": false}');
        if (!this.https) throw new ActionError('this phone has no mobile data on this bench', 409);
        this.https.setDataLink(up);
        this.events.emit('data-link', { up });
        return { up };
      },
      'ble-range': async (body) => {
        const out = (body as { out?: unknown } | undefined)?.out;
        if (typeof out !== 'boolean') throw new ActionError('expected {"out": true} or {"out": false}');
        if (!this.ble) throw new ActionError('this phone has no Bluetooth (ble=on)', 409);
        this.ble.phone.controller.air.setOutOfRange(this.ble.phone.controller, out);
        this.events.emit('ble-range', { out });
        return { out };
      },
    };
  }

  /** The handset (screen, keypad, applications) around the modem now running. */
  get handset(): Handset {
    return this.handsetValue;
  }

  private bootHandset(): Handset {
    const handset = handsetForModem(this.modem.modem, {
      clock: this.clock,
      ...(this.https ? { https: this.https } : {}),
      ...(this.ble ? { ble: phoneBlePort(this.ble.phone) } : {}),
      ...(this.services
        ? { trustedCas: [this.services.trustAnchors()], epochAtClockZero: this.services.epochAtClockZero }
        : {}),
    });
    handset.install(new PaymentApp());
    handset.onEvent((e) => {
      if (handset !== this.handsetValue) return;
      const { type, ...fields } = e;
      this.events.emit(type === 'screen' ? 'screen' : `handset-${type}`, fields);
    });
    handset.powerOn();
    return handset;
  }

  summary(): DeviceSummary {
    const endpoint: DeviceEndpoint = { transport: 'serial', path: this.modem.path };
    if (this.modem.port.port.ptsPath) endpoint.pts = this.modem.port.port.ptsPath;
    const summary: DeviceSummary = {
      name: this.name,
      role: this.name,
      kind: 'phone',
      transport: this.transportText,
      emulated: true,
      endpoint,
    };
    if (this.msisdn) summary.msisdn = this.msisdn;
    const endpoints: Record<string, DeviceEndpoint> = {};
    if (this.ir) endpoints['ir'] = this.ir.summary().endpoint;
    if (this.ble?.endpoint) endpoints['ble'] = { transport: 'ble', path: this.ble.endpoint };
    if (Object.keys(endpoints).length) summary.endpoints = endpoints;
    return summary;
  }

  state(): Record<string, unknown> {
    const m = this.modem.modem;
    return {
      profile: this.profile.name,
      model: `${this.profile.manufacturer} ${this.profile.model}`,
      imei: this.profile.imei,
      msisdn: this.msisdn,
      path: this.modem.path,
      plugged: this.modem.port.port.plugged,
      pin: m.pinState(),
      handset: this.handsetValue.mode,
      screen: screenJson(this.handsetValue),
      faults: this.modem.port.port.faults,
      ...(this.ir ? { ir: this.ir.state() } : {}),
    };
  }

  onEvent(listener: (event: BenchEvent) => void): void {
    this.events.on(listener);
  }

  async close(): Promise<void> {
    await this.ble?.close();
    this.hciCapture?.close();
    this.detach?.();
    this.modem.close();
    await this.ir?.close();
  }
}
