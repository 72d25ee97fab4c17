import type { Clock } from '../clock.js';
import type { ScannerProfile } from './profile.js';
import type { ScannerNvram } from './settings.js';
import type { DecodedSymbol } from './types.js';
import type { Symbology } from './symbology.js';

/**
 * The seam between the vendor-neutral scan engine and a vendor command set (Honeywell menu commands,
 * Zebra SSI). The engine owns triggers, reads, beeper and LED; the command set owns the wire.
 */

/** manual: hardware trigger (and host trigger); serial: only the host triggers; presentation: always reading. */
export type TriggerMode = 'manual' | 'serial' | 'presentation';

export type BeepKind = 'good-read' | 'error' | 'host' | 'transmit-error';

export type LedState = 'off' | 'green' | 'red';

/** What a command set may ask of the engine. */
export interface FirmwareServices {
  readonly clock: Clock;
  readonly profile: ScannerProfile;
  readonly nvram: ScannerNvram | undefined;
  /** Bytes to the host (the engine applies the profile's chunking). */
  send(bytes: Uint8Array): void;
  /** Software trigger from the host (SYN T CR, START_SESSION); timeoutMs 0 = until stopped. */
  hostTrigger(timeoutMs: number): void;
  hostUntrigger(): void;
  beep(kind: BeepKind): void;
  /** Host-driven LED (SSI LED_ON/LED_OFF); undefined hands the LED back to the engine. */
  hostLed(state: LedState | undefined): void;
  /** SSI SCAN_ENABLE / SCAN_DISABLE. */
  setScanEnabled(enabled: boolean): void;
  /** A good read could not be delivered (SSI retries exhausted). */
  transmitFailed(): void;
}

export interface CommandSet {
  /** Bytes from the host. Must never throw. */
  receive(bytes: Uint8Array): void;
  /** Sends a good read to the host; returns the formatted message (prefix, identifier, data, suffix). */
  deliver(symbol: DecodedSymbol): Uint8Array;
  symbologyEnabled(symbology: Symbology): boolean;
  triggerMode(): TriggerMode;
  /** Read time-out of a host-triggered session, ms (0 = none). */
  readTimeoutMs(): number;
  /** 0 = off … 3 = high. */
  beeperVolume(): number;
  goodReadBeep(): boolean;
  /** Power off: cancel timers. */
  dispose(): void;
}
