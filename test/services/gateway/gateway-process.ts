/**
 * A gateway in its own process, for the SIGKILL test. Its issuer appends every authorization request to a
 * journal file (as a credit server records a request before it answers) and never answers, so the process
 * can be killed while a transaction is `authorizing`. Prints {"port": n} once listening.
 * Arguments: <db file> <TLS dir (ca.pem, server.key, server.pem)> <issuer journal file>.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CreditHost } from '../../../firmware-sim/cat/credit-host.js';
import { SystemClock } from '../../../firmware-sim/clock.js';
import { loadGatewayFixtures } from '../../../services/gateway/fixtures.js';
import { Gateway } from '../../../services/gateway/gateway.js';
import { EPOCH, HOST_NAME } from './helpers.js';

const [dbFile, tlsDir, journalFile] = process.argv.slice(2) as [string, string, string];
const read = (n: string): string => fs.readFileSync(path.join(tlsDir, n), 'utf8');
const journal = fs.openSync(journalFile, 'a');
const silentIssuer: CreditHost = {
  signOn: async () => {},
  echo: async () => {},
  close: async () => {},
  authorize: (r) => {
    fs.writeSync(journal, JSON.stringify(r) + '\n');
    fs.fsyncSync(journal);
    return new Promise(() => {});
  },
  reverse: () => new Promise(() => {}),
  deliverKey: () => new Promise(() => {}),
};
const gw = new Gateway();
const port = await gw.start({
  dbFile,
  clock: new SystemClock(),
  epochAtClockZero: EPOCH,
  tls: { key: read('server.key'), cert: read('server.pem') },
  hostName: HOST_NAME,
  creditHosts: () => silentIssuer,
  push: { sendWapPush: async () => {} },
  fixtures: loadGatewayFixtures(),
  mailSigner: { key: read('server.key'), cert: read('server.pem') },
});
process.stdout.write(JSON.stringify({ port }) + '\n');
