/**
 * The phone's modem on a serial line: the AT interpreter behind an emulated serial port (PTY), as a
 * handset's USB CDC-ACM modem port or a data cable appears to a host. The host opens `path` with
 * serialport (or minicom, ModemManager, Gammu) exactly as it would open a real phone.
 */
import type { Clock } from '../../firmware-sim/clock.js';
import type { AtFinal } from '../../firmware-sim/phone/at/command-table.js';
import { PhoneModem } from '../../firmware-sim/phone/modem.js';
import type { PhoneProfile } from '../../firmware-sim/phone/profile.js';
import type { SmsBearer } from '../../firmware-sim/phone/sms-bearer.js';
import type { SmsMemoryPersistence } from '../../firmware-sim/phone/sms-storage.js';
import type { SmartCard } from '../../firmware-sim/uim/card.js';
import type { FaultSettings } from '../serial/faults.js';
import type { LineSettings } from '../serial/line.js';
import { EmulatedSerialPort, type SerialCaptureSink } from '../serial/port.js';

/** A phone's modem port runs at 115200 8N1 unless told otherwise. */
export const MODEM_LINE: Readonly<LineSettings> = Object.freeze({
  baudRate: 115200,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
});

export interface PhoneModemPortOptions {
  /** Port name (by-id symlink): letters, digits, '.', '_', '-'. */
  name: string;
  profile: PhoneProfile;
  /** The card in the SIM holder (a UimCard, or any SmartCard); absent = no SIM. */
  card?: SmartCard;
  clock: Clock;
  runtimeDir: string;
  line?: LineSettings;
  faults?: FaultSettings;
  seed?: number;
  capture?: SerialCaptureSink;
  /** Deliver the host's bytes at the line rate, as a UART receives them (wall clock only; default true). */
  paceInbound?: boolean;
  /** Observer of the final result codes the modem sends. */
  onFinal?: (final: AtFinal) => void;
  /** The network side of SMS, handed to every modem this port boots. */
  smsBearer?: SmsBearer;
  /** Phone memory ("ME") that outlives a power cycle. */
  phoneSmsMemory?: SmsMemoryPersistence;
  /** Records in phone memory ("ME"); the modem's default when absent. */
  phoneSmsMemorySize?: number;
}

export class PhoneModemPort {
  readonly port: EmulatedSerialPort;
  private modemValue: PhoneModem;
  private readonly options: PhoneModemPortOptions;

  constructor(options: PhoneModemPortOptions) {
    this.options = options;
    const portOptions: ConstructorParameters<typeof EmulatedSerialPort>[0] = {
      name: options.name,
      runtimeDir: options.runtimeDir,
      clock: options.clock,
      line: options.line ?? MODEM_LINE,
      paceInbound: options.paceInbound ?? true,
    };
    if (options.capture) portOptions.capture = options.capture;
    if (options.faults) portOptions.faults = options.faults;
    if (options.seed !== undefined) portOptions.seed = options.seed;
    this.port = new EmulatedSerialPort(portOptions);
    this.port.on('data', (bytes) => this.modemValue.receive(bytes));
    this.modemValue = this.boot();
  }

  /** The modem firmware now running (replaced by `powerCycle`). */
  get modem(): PhoneModem {
    return this.modemValue;
  }

  /** The stable path a host opens. */
  get path(): string {
    return this.port.path;
  }

  async open(): Promise<void> {
    await this.port.open();
  }

  /** Battery out and back in: all volatile state is lost, the SIM asks for its PIN again. */
  powerCycle(): void {
    this.modemValue.powerOff();
    this.modemValue = this.boot();
  }

  close(): void {
    this.modemValue.powerOff();
    this.port.close();
  }

  private boot(): PhoneModem {
    const o = this.options;
    return new PhoneModem({
      profile: o.profile,
      ...(o.card ? { card: o.card } : {}),
      clock: o.clock,
      ...(o.onFinal ? { onFinal: o.onFinal } : {}),
      ...(o.smsBearer ? { smsBearer: o.smsBearer } : {}),
      ...(o.phoneSmsMemory ? { phoneSmsMemory: o.phoneSmsMemory } : {}),
      ...(o.phoneSmsMemorySize ? { phoneSmsMemorySize: o.phoneSmsMemorySize } : {}),
      output: (bytes) => {
        // An unplugged or closed port discards (and counts) what the modem sends, as a real line would.
        this.port.write(bytes).catch(() => undefined);
      },
    });
  }
}
