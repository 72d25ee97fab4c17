/**
 * An SMSC route out through an AT modem: numbers with a prefix that no phone of the simulated network has
 * are sent on by a modem on any serial path — a real GSM modem into a real network, or a phone twin of
 * another bench — with the host AT driver. Each SMS-DELIVER part the SMSC made becomes the SMS-SUBMIT the
 * modem sends (same DCS, PID and user data with its concatenation or port headers), so long texts and
 * WAP Push keep their shape.
 *
 * Exactly once: a message id the SMSC repeats (its acknowledgement was lost in a restart) is acknowledged
 * again without sending it twice, for as long as this route lives.
 */
import { decodeTpdu, parseAddress, type SmsSubmit } from '../../firmware-sim/phone/sms/index.js';
import type { AtModem } from '../drivers/phone/at-modem.js';
import type { SimulatedNetwork } from '../../services/smsc/network.js';

/** Message ids remembered for deduplication. */
const REMEMBERED = 4096;

export interface ModemRoute {
  /** Messages sent through the modem (parts counted once per message). */
  readonly sent: number;
  close(): void;
}

export function routeThroughModem(network: SimulatedNetwork, prefix: string, modem: AtModem): ModemRoute {
  const done = new Set<string>();
  let sent = 0;
  // One message at a time: a modem takes one +CMGS at a time anyway, and parts must stay in order.
  let queue: Promise<unknown> = Promise.resolve();
  const remove = network.route(prefix, (msisdn, delivery) => {
    const run = queue.then(async () => {
      if (done.has(delivery.messageId)) return;
      const submits: SmsSubmit[] = delivery.tpdus.map((bytes, i) => {
        const decoded = decodeTpdu(bytes, 'sc-to-ms');
        if (!decoded.ok || decoded.value.type !== 'SMS-DELIVER') {
          throw new Error(`part ${i + 1} is not an SMS-DELIVER the modem could send on`);
        }
        const d = decoded.value;
        return {
          type: 'SMS-SUBMIT',
          rejectDuplicates: false,
          replyPath: false,
          statusReportRequest: false,
          messageReference: 0,
          destination: parseAddress(msisdn),
          pid: d.pid,
          dcs: d.dcs,
          userData: d.userData,
        };
      });
      await modem.sendSubmits(submits);
      done.add(delivery.messageId);
      while (done.size > REMEMBERED) done.delete(done.values().next().value!);
      sent++;
    });
    queue = run.catch(() => undefined);
    return run;
  });
  return {
    get sent() {
      return sent;
    },
    close: remove,
  };
}
