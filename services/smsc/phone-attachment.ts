/**
 * Joins a phone twin to the simulated network: the network's deliveries go into the phone's modem (one
 * TPDU per part; the RP-ACK is the modem's answer), and the modem's SMS-SUBMITs go to the SMSC.
 *
 * A delivery the SMSC repeats (its acknowledgement was lost in a restart) carries the same message id:
 * parts the phone already took are acknowledged again without being stored twice.
 */
import type { SmsTerminal } from '../../devices/phone/phone-twin.js';
import type { SimulatedNetwork } from './network.js';

/** Message ids remembered for deduplication. */
const REMEMBERED = 1024;

export function attachPhone(network: SimulatedNetwork, phone: SmsTerminal): () => void {
  const taken = new Map<string, Set<number>>();
  const detach = network.register(phone.msisdn, async ({ messageId, tpdus }) => {
    let parts = taken.get(messageId);
    if (!parts) {
      parts = new Set();
      taken.set(messageId, parts);
      while (taken.size > REMEMBERED) taken.delete(taken.keys().next().value!);
    }
    for (let i = 0; i < tpdus.length; i++) {
      if (parts.has(i)) continue;
      const outcome = phone.deliverSms(tpdus[i]!);
      if (!outcome.ok) {
        throw new Error(`RP-ERROR TP-FCS ${outcome.cause.toString(16).toUpperCase()}: ${outcome.reason}`);
      }
      parts.add(i);
    }
  });
  phone.setSmsBearer({
    submit: async (tpdu) => {
      const r = await network.submitFromPhone(phone.msisdn, tpdu);
      return r.ok ? { ok: true, messageReference: tpdu[1] ?? 0 } : { ok: false, cause: r.cause };
    },
  });
  return () => {
    detach();
    phone.setSmsBearer(undefined);
  };
}
