/**
 * A running bench: the devices of a bench config (twins started, real ones described), its control API,
 * its captures and its record in the runtime folder.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SystemClock, VirtualClock, type Clock } from '../../firmware-sim/clock.js';
import { SerialCapture } from '../../devices/capture/serial-capture.js';
import type { BenchConfig, RoleConfig } from './bench-file.js';
import { ControlApi } from './control-api.js';
import type { BenchDevice } from './device.js';
import { benchRuntimeDir, removeBenchRecord, writeBenchRecord } from './registry.js';
import { RealInputDevice, RealPcscDevice, RealSerialDevice } from './real-device.js';
import { createScannerTwin } from './scanner-device.js';
import { createUimTwin } from './uim-device.js';
import { createIrTwin } from './ir-device.js';
import { createPhoneTwin } from './phone-device.js';
import { createSmscService } from './smsc-device.js';
import { createMobileTerminal } from './mobile-terminal-device.js';
import { SimulatedNetwork } from '../../services/smsc/network.js';
import { Air } from '../../devices/ble/air.js';
import { BenchServices } from './bench-services.js';
import { createCreditService } from './credit-device.js';
import { createGatewayService } from './gateway-device.js';

/** How long a device may take to become usable (a card to be taken by pcscd) before the bench gives up. */
const READY_TIMEOUT_MS = 10_000;

export interface RunningBench {
  name: string;
  clock: Clock;
  /** The bench's Bluetooth LE radio medium (made on first use). */
  air(): Air;
  /** The bench's CA, DNS and calendar for network services and their clients. */
  services: BenchServices;
  runtimeDir: string;
  devices: ReadonlyMap<string, BenchDevice>;
  control: ControlApi;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Register the bench in the runtime folder so `benchtwin devices` finds it (default true). */
  register?: boolean;
  /** Use this clock instead of the one the config names. */
  clock?: Clock;
}

/** Virtual runs jump over waits once the links have been quiet this long (real I/O still flows). */
const VIRTUAL_QUIET_MS = 5;

export function makeClock(kind: 'wall' | 'virtual'): Clock {
  return kind === 'virtual'
    ? new VirtualClock({ autoAdvance: { quietMs: VIRTUAL_QUIET_MS } })
    : new SystemClock();
}

async function createDevice(
  role: RoleConfig,
  ctx: {
    clock: Clock;
    runtimeDir: string;
    /** The bench's mobile network: the SMSC and the phones meet on it. */
    network: SimulatedNetwork;
    /** The bench's Bluetooth LE radio medium, made when a device first needs it. */
    air: () => Air;
    capture?: SerialCapture;
    usbCapturePrefix?: string;
    /** The CA, DNS and calendar the bench's network services and their clients share. */
    services: BenchServices;
    /** The devices started before this one (services find the SMSC and the credit servers there). */
    devices: ReadonlyMap<string, BenchDevice>;
  },
): Promise<BenchDevice> {
  const t = role.transport;
  if (t.scheme === 'emu') {
    // What every twin of a role gets: its name, transport string, clock, folder, faults and capture.
    const common = {
      name: role.role,
      options: t.options,
      transportText: role.transportText,
      clock: ctx.clock,
      runtimeDir: ctx.runtimeDir,
      faults: role.faults,
      capture: role.capture ? ctx.capture : undefined,
    };
    switch (t.kind) {
      case 'scanner':
        return createScannerTwin({
          ...common,
          profile: t.profile,
          usbCaptureFile:
            role.capture && ctx.usbCapturePrefix
              ? `${ctx.usbCapturePrefix}-${role.role}-usb.pcapng`
              : undefined,
        });
      case 'uim':
        return createUimTwin({ ...common, profile: t.profile });
      case 'phone':
        return createPhoneTwin({
          ...common,
          profile: t.profile,
          network: ctx.network,
          air: ctx.air,
          services: ctx.services,
          hciCaptureFile:
            role.capture && ctx.usbCapturePrefix
              ? `${ctx.usbCapturePrefix}-${role.role}-hci.pcapng`
              : undefined,
        });
      case 'smsc':
        return createSmscService({ ...common, network: ctx.network });
      case 'ir':
        return createIrTwin({ ...common, nickname: t.profile });
      case 'credit':
        return createCreditService({
          ...common,
          issuerCode: t.profile,
          services: ctx.services,
          captureFile:
            role.capture && ctx.usbCapturePrefix
              ? `${ctx.usbCapturePrefix}-${role.role}-iso8583.pcapng`
              : undefined,
        });
      case 'gateway':
        return createGatewayService({ ...common, services: ctx.services, devices: ctx.devices });
      case 'mobile-terminal':
        return createMobileTerminal({
          ...common,
          air: ctx.air,
          hciCaptureFile:
            role.capture && ctx.usbCapturePrefix
              ? `${ctx.usbCapturePrefix}-${role.role}-hci.pcapng`
              : undefined,
        });
    }
    throw new Error(
      `role "${role.role}": no emulated "${t.kind}" (emu:scanner/<profile>, emu:uim/<profile>, emu:phone/<profile>, emu:ir/<nickname>, emu:smsc/<name>, emu:credit/<issuer code>, emu:gateway/<name> and emu:mobile-terminal/<name> are)`,
    );
  }
  if (t.scheme === 'serial') return new RealSerialDevice(role.role, t, role.transportText);
  if (t.scheme === 'pcsc') return new RealPcscDevice(role.role, t.address, role.transportText);
  if (t.scheme === 'hid' || t.scheme === 'evdev')
    return new RealInputDevice(role.role, t, role.transportText);
  throw new Error(
    `role "${role.role}": transport "${t.scheme}:" is not served yet (serial:, hid:, evdev:, pcsc: and emu: are)`,
  );
}

export async function startBench(config: BenchConfig, options: StartOptions = {}): Promise<RunningBench> {
  const clock = options.clock ?? makeClock(config.clock);
  const runtimeDir = benchRuntimeDir(config.name);
  mkdirSync(runtimeDir, { recursive: true });
  let capture: SerialCapture | undefined;
  if (config.captureDir) {
    mkdirSync(config.captureDir, { recursive: true });
    capture = new SerialCapture({
      file: path.join(config.captureDir, `${config.name}-serial.pcapng`),
      clock,
    });
  }
  const devices = new Map<string, BenchDevice>();
  const network = new SimulatedNetwork({ clock });
  let air: Air | undefined;
  const getAir = (): Air => (air ??= new Air({ clock }));
  const services = new BenchServices({
    clock,
    runtimeDir,
    keyLogFile: config.captureDir ? path.join(config.captureDir, `${config.name}-tls-keys.log`) : undefined,
  });
  const closeDevices = async (): Promise<void> => {
    // In reverse: clients (phones, terminals) go before the services they use.
    for (const d of [...devices.values()].reverse()) await d.close().catch(() => undefined);
    air?.close();
    capture?.close();
    services.close();
  };
  try {
    for (const role of config.roles)
      devices.set(
        role.role,
        await createDevice(role, {
          clock,
          runtimeDir,
          network,
          air: getAir,
          services,
          devices,
          ...(capture ? { capture } : {}),
          ...(config.captureDir ? { usbCapturePrefix: path.join(config.captureDir, config.name) } : {}),
        }),
      );
    for (const d of devices.values()) await d.ready?.(READY_TIMEOUT_MS);
  } catch (err) {
    await closeDevices();
    throw err;
  }
  const control = new ControlApi({ benchName: config.name, devices, port: config.controlPort });
  const url = await control.listen();
  const register = options.register ?? true;
  if (register) {
    try {
      writeBenchRecord({
        name: config.name,
        pid: process.pid,
        control: url,
        started: new Date().toISOString(),
      });
    } catch (err) {
      await control.close();
      await closeDevices();
      throw err;
    }
  }
  let closed = false;
  return {
    name: config.name,
    clock,
    air: getAir,
    services,
    runtimeDir,
    devices,
    control,
    async close() {
      if (closed) return;
      closed = true;
      await control.close();
      await closeDevices();
      if (register) removeBenchRecord(config.name);
      if (clock instanceof VirtualClock) clock.dispose();
    },
  };
}
