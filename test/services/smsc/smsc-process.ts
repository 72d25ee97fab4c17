/**
 * An SMSC in its own process, for kill -9 tests: the phone it delivers to appends each delivery to a
 * file (message id and text) before acknowledging it, as a phone stores a message before its RP-ACK.
 * Prints {"port": n} once listening. Arguments: <db file> <inbox file> <msisdn>.
 */
import fs from 'node:fs';
import { SystemClock } from '../../../firmware-sim/clock.js';
import { decodeTpdu } from '../../../firmware-sim/phone/sms/index.js';
import { SimulatedNetwork } from '../../../services/smsc/network.js';
import { Smsc } from '../../../services/smsc/smsc.js';

const [dbFile, inboxFile, msisdn] = process.argv.slice(2) as [string, string, string];
const network = new SimulatedNetwork();
const fd = fs.openSync(inboxFile, 'a');
network.register(msisdn, async (d) => {
  const texts = d.tpdus.map((t) => {
    const r = decodeTpdu(t, 'sc-to-ms');
    return r.ok && r.value.type === 'SMS-DELIVER' ? (r.value.userData.text ?? '') : '?';
  });
  fs.writeSync(fd, JSON.stringify({ id: d.messageId, text: texts.join('') }) + '\n');
});
const smsc = new Smsc({
  dbFile,
  clock: new SystemClock(),
  network,
  accounts: [{ systemId: 'shop', password: 'secret' }],
});
const port = await smsc.listen(0);
process.stdout.write(JSON.stringify({ port }) + '\n');
