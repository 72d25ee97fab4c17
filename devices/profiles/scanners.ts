/**
 * Scanner models the kit can emulate. The type lives in firmware-sim (which cannot import devices/); the
 * identities and defaults of concrete models live here.
 */
import type { ScannerProfile } from '../../firmware-sim/scanner/profile.js';
import { SsiParam } from '../../firmware-sim/scanner/ssi-params.js';

export type { ScannerProfile } from '../../firmware-sim/scanner/profile.js';

const LINE_9600_8N1 = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;

/** Honeywell Xenon 1900g-style area imager on RS-232 / USB serial, Honeywell menu command set. */
const honeywell1900: ScannerProfile = {
  name: 'honeywell-1900',
  identity: {
    manufacturer: 'Honeywell',
    model: 'Xenon 1900g',
    serialNumber: '19000BT0001',
    firmwareRevision: 'BF000146BAA',
  },
  commandSet: 'honeywell',
  line: LINE_9600_8N1,
  symbologies: [
    'ean13',
    'ean8',
    'upca',
    'upce',
    'code128',
    'gs1-128',
    'code39',
    'code93',
    'codabar',
    'itf',
    'databar',
    'databar-expanded',
    'qr',
    'gs1-qr',
    'datamatrix',
    'gs1-datamatrix',
    'pdf417',
    'aztec',
  ],
  // A USB CDC port hands the host the message in 64-byte bulk packets.
  transmit: { chunkSize: 64, chunkGapMs: 0 },
  pacing: { decodeTimeMs: 60, commandResponseMs: 5 },
  goodReadLedMs: 150,
  // Honeywell's vendor id; product ids of its HID POS and keyboard interfaces (model-specific, unconfirmed).
  usb: {
    vendorId: 0x0c2e,
    productIds: { 'hid-pos': 0x0b61, wedge: 0x0b01 },
    wedgePacing: { interKeyMs: 8, keyDownMs: 4 },
    reportIntervalMs: 1,
  },
  honeywell: {
    defaults: {
      // Bench defaults: AIM identifier prefix for every symbology and a CR LF suffix (`]E0…\r\n`).
      PREBK2: '995C81',
      SUFBK2: '990D0A',
    },
    revisionInfo: [
      'Product Name: Xenon 1900g Area-Imaging Scanner',
      'Boot Revision: BF000034BAA',
      'Software Part Number: BF000146BAA',
      'Software Revision: 21384|/tags/BF000146BAA',
      'Serial Number: 19000BT0001',
      'Supported IF: Standard',
      'PCB Assembly ID: 0',
    ],
  },
};

/** Zebra DS4308 in SSI mode (RS-232), Simple Serial Interface command set. */
const zebraDs4308: ScannerProfile = {
  name: 'zebra-ds4308',
  identity: {
    manufacturer: 'Zebra Technologies',
    model: 'DS4308-SR',
    serialNumber: 'S18250523021234',
    firmwareRevision: 'PAACBS00-006-R01',
  },
  commandSet: 'zebra-ssi',
  line: LINE_9600_8N1,
  symbologies: [
    'ean13',
    'ean8',
    'upca',
    'upce',
    'code128',
    'gs1-128',
    'code39',
    'code93',
    'codabar',
    'itf',
    'databar',
    'databar-expanded',
    'qr',
    'gs1-qr',
    'datamatrix',
    'gs1-datamatrix',
    'pdf417',
    'aztec',
  ],
  // Split a packet in two so hosts that read one packet per `data` event are caught out.
  transmit: { chunkSize: 16, chunkGapMs: 0 },
  pacing: { decodeTimeMs: 80, commandResponseMs: 10 },
  goodReadLedMs: 200,
  // Zebra (Symbol) vendor id; some Zebra models type slowly in keyboard mode (80–100 ms a key).
  usb: {
    vendorId: 0x05e0,
    productIds: { 'hid-pos': 0x1300, wedge: 0x1200 },
    wedgePacing: { interKeyMs: 80, keyDownMs: 40 },
    reportIntervalMs: 1,
  },
  ssi: {
    defaults: {
      [SsiParam.DECODE_DATA_PACKET_FORMAT]: 1,
      [SsiParam.TRANSMIT_CODE_ID]: 1,
    },
    revision: 'PAACBS00-006-R01 D4308 DS4308-SR',
    retries: 2,
  },
};

export const SCANNER_PROFILES: Readonly<Record<string, ScannerProfile>> = Object.freeze({
  [honeywell1900.name]: honeywell1900,
  [zebraDs4308.name]: zebraDs4308,
});

/** The profile of that name; the error lists the names there are. */
export function getScannerProfile(name: string): ScannerProfile {
  const profile = Object.hasOwn(SCANNER_PROFILES, name) ? SCANNER_PROFILES[name] : undefined;
  if (!profile) {
    throw new Error(
      `unknown scanner profile '${name}': expected one of ${Object.keys(SCANNER_PROFILES).join(', ')}`,
    );
  }
  return profile;
}
