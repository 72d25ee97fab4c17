/**
 * The network side of a phone's SMS (TS 24.011 short message relay, seen from the handset): what the modem
 * needs to send an SMS-SUBMIT and what it answers a network that delivers to it. The device shell plugs a
 * simulated or real network in; firmware-sim knows only these types.
 */

/** RP-ACK (with the TP-MR the SMSC confirms) or RP-ERROR with its TP-FCS cause (TS 23.040 §9.2.3.22). */
export type SmsSubmitOutcome = { ok: true; messageReference: number } | { ok: false; cause: number };

export interface SmsBearer {
  /** Sends an SMS-SUBMIT (or SMS-COMMAND) TPDU; resolves with the network's answer. Never rejects on refusal. */
  submit(tpdu: Uint8Array): Promise<SmsSubmitOutcome>;
}

/** What the phone answers an SMS-DELIVER / SMS-STATUS-REPORT with: RP-ACK, or RP-ERROR with a TP-FCS cause. */
export type SmsDeliveryOutcome = { ok: true } | { ok: false; cause: number; reason: string };

/** TP-FCS values a phone sends back (TS 23.040 §9.2.3.22). */
export const TpFailureCause = {
  TPDU_NOT_SUPPORTED: 0xb0,
  MEMORY_CAPACITY_EXCEEDED: 0xd3,
  SIM_SMS_STORAGE_FULL: 0xd0,
  UNSPECIFIED: 0xff,
} as const;
