/** A handset model as a phone profile describes it (fixtures/phones/*.yaml, validated in devices/profiles). */

/** Access technology of a cell, with its <AcT> number of TS 27.007 §7.3. */
export const AccessTechnology = { gsm: 0, utran: 2, 'e-utran': 7 } as const;
export type AccessTechnologyName = keyof typeof AccessTechnology;

export interface NetworkProfile {
  /** MCC ‖ MNC, 5 or 6 digits. */
  numeric: string;
  /** Long alphanumeric name (up to 16 characters). */
  long: string;
  /** Short alphanumeric name (up to 8 characters). */
  short: string;
  act: AccessTechnologyName;
  /** Location area code and cell id of the serving cell. */
  lac: number;
  ci: number;
  /** Registration is refused (+COPS stat 3, +CREG stat 3). */
  forbidden?: boolean;
}

export interface RadioProfile {
  /** +CSQ <rssi> 0–31 or 99 (unknown), <ber> 0–7 or 99. */
  rssi: number;
  ber: number;
  /** Networks in range; the one whose MCC‖MNC starts the IMSI is home. */
  networks: NetworkProfile[];
  /** Time from "searching" to "registered" (0: at once). */
  registrationDelayMs: number;
}

export interface BatteryProfile {
  /** +CBC <bcs>: 0 on battery, 1 battery connected but powered externally, 2 no battery, 3 power fault. */
  status: 0 | 1 | 2 | 3;
  /** +CBC <bcl>: 0–100 %. */
  level: number;
}

export interface PhoneProfile {
  name: string;
  description?: string;
  manufacturer: string;
  model: string;
  revision: string;
  /** 15 digits with a valid Luhn check digit. */
  imei: string;
  /** Software version number for the IMEISV (2 digits). */
  svn: string;
  /** The card fixture the phone holds (fixtures/cards/<card>.yaml); absent = no card. */
  card?: string;
  radio: RadioProfile;
  battery: BatteryProfile;
}
