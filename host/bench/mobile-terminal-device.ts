/**
 * Seed 001's mobile terminal (device 17) on the bench (`emu:mobile-terminal/<name>?mode=poll|push&baud=9600`):
 * a BLE central on the bench's air that reads the user id from the phone in range and hands it to the POS
 * over its RS-232C port — a pseudo-terminal the POS opens as it would /dev/ttyS0. The line protocol is in
 * docs/MOBILE-TERMINAL.md.
 */
import type { Clock } from '../../firmware-sim/clock.js';
import type { Air } from '../../devices/ble/air.js';
import { VirtualController } from '../../devices/ble/controller.js';
import { HciCapture } from '../../devices/ble/capture.js';
import { unregisterVirtualController } from '../../devices/ble/seam/registry.js';
import { parseLineSettings } from '../../devices/serial/line.js';
import { EmulatedSerialPort, type SerialCaptureSink } from '../../devices/serial/port.js';
import { BlePhoneLink } from '../drivers/phone/ble-phonelink.js';
import { MobileTerminal } from '../pos/mobile-terminal.js';
import type { FaultsConfig } from './bench-file.js';
import { DeviceEvents, type BenchDevice, type BenchEvent, type DeviceSummary } from './device.js';
import { checkOptions, serialLinkActions } from './port-actions.js';

const TERMINAL_OPTIONS = ['mode', 'baud'] as const;

export interface MobileTerminalTwinOptions {
  name: string;
  options: Record<string, string>;
  transportText: string;
  clock: Clock;
  runtimeDir: string;
  air: () => Air;
  faults?: FaultsConfig | undefined;
  capture?: SerialCaptureSink | undefined;
  /** On a capturing bench: the terminal controller's HCI traffic as pcapng (link type 201). */
  hciCaptureFile?: string | undefined;
}

export async function createMobileTerminal(o: MobileTerminalTwinOptions): Promise<MobileTerminalDevice> {
  checkOptions(o.transportText, o.options, TERMINAL_OPTIONS);
  const mode = o.options['mode'] ?? 'poll';
  if (mode !== 'poll' && mode !== 'push') throw new Error(`${o.transportText}: mode: expected poll or push`);
  const line = parseLineSettings(new URLSearchParams({ baud: o.options['baud'] ?? '9600' }));
  if (!line.ok) throw new Error(`${o.transportText}: ${line.error}`);
  const { seed: _seed, ...faults } = o.faults ?? {};
  const port = new EmulatedSerialPort({
    name: o.name,
    runtimeDir: o.runtimeDir,
    clock: o.clock,
    line: line.value,
    faults,
    ...(o.capture ? { capture: o.capture } : {}),
  });
  await port.open();
  const controller = new VirtualController({ air: o.air(), address: '5a:50:00:00:17:01', name: o.name });
  let hciCapture: HciCapture | undefined;
  if (o.hciCaptureFile) {
    hciCapture = new HciCapture({ file: o.hciCaptureFile, clock: o.clock });
    hciCapture.add(controller);
  }
  let link: BlePhoneLink;
  try {
    link = await BlePhoneLink.open({ transport: controller, clock: o.clock });
  } catch (err) {
    port.close();
    hciCapture?.close();
    controller.close();
    unregisterVirtualController(controller);
    throw err;
  }
  const terminal = new MobileTerminal({ link, port, clock: o.clock, mode });
  terminal.start();
  return new MobileTerminalDevice(o.name, o.transportText, port, controller, link, terminal, hciCapture);
}

export class MobileTerminalDevice implements BenchDevice {
  readonly actions: Record<string, (body: unknown) => Promise<unknown>>;
  private readonly events: DeviceEvents;
  private lastUserId: string | undefined;

  constructor(
    readonly name: string,
    private readonly transportText: string,
    readonly port: EmulatedSerialPort,
    private readonly controller: VirtualController,
    private readonly link: BlePhoneLink,
    readonly terminal: MobileTerminal,
    private readonly hciCapture?: HciCapture,
  ) {
    this.events = new DeviceEvents(name);
    terminal.on('userId', (userId, phone) => {
      this.lastUserId = userId;
      this.events.emit('user-id', { userId, phone });
    });
    terminal.on('line', (direction, text) => this.events.emit('line', { direction, text }));
    this.actions = serialLinkActions(port, this.events);
  }

  summary(): DeviceSummary {
    const endpoint: DeviceSummary['endpoint'] = { transport: 'serial', path: this.port.path };
    if (this.port.ptsPath) endpoint.pts = this.port.ptsPath;
    return {
      name: this.name,
      role: this.name,
      kind: 'mobile-terminal',
      transport: this.transportText,
      emulated: true,
      endpoint,
    };
  }

  state(): Record<string, unknown> {
    return {
      path: this.port.path,
      plugged: this.port.plugged,
      phone: this.terminal.phone ?? null,
      lastUserId: this.lastUserId ?? null,
      bleConnected: this.link.connected,
    };
  }

  onEvent(listener: (event: BenchEvent) => void): void {
    this.events.on(listener);
  }

  async close(): Promise<void> {
    await this.terminal.stop().catch(() => undefined);
    await this.link.close().catch(() => undefined);
    this.hciCapture?.close();
    this.controller.close();
    unregisterVirtualController(this.controller);
    this.port.close();
  }
}
