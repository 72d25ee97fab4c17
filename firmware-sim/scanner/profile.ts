import type { Symbology } from './symbology.js';

/**
 * What makes one scanner model: identity, command set, defaults and wire behaviour. Defined here (not in
 * devices/) because firmware-sim must not import devices; devices/profiles/scanners.ts holds the instances.
 */
export type ScannerCommandSet = 'honeywell' | 'zebra-ssi';

/** Same shape as devices/serial's LineSettings, repeated so firmware-sim stays independent of devices/. */
export interface ScannerLineSettings {
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 1.5 | 2;
}

export interface ScannerIdentity {
  manufacturer: string;
  model: string;
  serialNumber: string;
  firmwareRevision: string;
}

export interface ScannerTransmitBehaviour {
  /** Split every write into chunks of at most this many bytes (exposes hosts that treat a read as a packet). */
  chunkSize?: number;
  /** Delay between those chunks, on the firmware clock (0 = emitted back to back). */
  chunkGapMs?: number;
}

/** Hints for the device shell that paces the emulated port; the firmware itself does not use them. */
export interface ScannerPacing {
  /** Time from trigger to the decoded message, as a real imager takes (ms). */
  decodeTimeMs: number;
  /** Time the scanner takes to answer a command (ms). */
  commandResponseMs: number;
}

export interface HoneywellProfileSettings {
  /** Default values by Tag+SubTag (e.g. `TRGSTO: '30000'`, `PREBK2: '995C81'`), over the built-in table. */
  defaults: Readonly<Record<string, string>>;
  /** Lines of the REVINF reply. */
  revisionInfo: readonly string[];
}

export interface SsiProfileSettings {
  /** Default values by SSI parameter number, over the built-in table. */
  defaults: Readonly<Record<number, number>>;
  /** Body of REPLY_REVISION (software revision, board type, engine code …). */
  revision: string;
  /** Retransmissions after the first send when the host does not ACK (Zebra: two). */
  retries: number;
}

export interface ScannerProfile {
  name: string;
  identity: ScannerIdentity;
  commandSet: ScannerCommandSet;
  line: ScannerLineSettings;
  /** Symbologies enabled at factory defaults. */
  symbologies: readonly Symbology[];
  transmit: ScannerTransmitBehaviour;
  pacing: ScannerPacing;
  /** How long the good-read LED stays lit (ms). */
  goodReadLedMs: number;
  honeywell?: HoneywellProfileSettings;
  ssi?: SsiProfileSettings;
  /** The model's USB HID interface (HID POS or keyboard wedge). */
  usb: ScannerUsbSettings;
}

/** What a USB HID scanner of this model presents. */
export interface ScannerUsbSettings {
  vendorId: number;
  /** Product ids of the HID POS and keyboard interfaces (scanners re-enumerate when switched). */
  productIds: { 'hid-pos': number; wedge: number };
  /** Milliseconds from one key-down to the next, and from a key-down to its release, in wedge mode. */
  wedgePacing: { interKeyMs: number; keyDownMs: number };
  /** Milliseconds between HID POS input reports (the interrupt endpoint's polling interval). */
  reportIntervalMs: number;
}
