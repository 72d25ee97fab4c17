/**
 * A credit server in its own process, for kill -9 tests. Prints {"port": n} once listening.
 * Arguments: <db file> <port (0 for any)>.
 */
import path from 'node:path';
import { SystemClock } from '../../../firmware-sim/clock.js';
import { CreditServer } from '../../../services/credit/credit-server.js';

const [dbFile, port] = process.argv.slice(2) as [string, string];
const server = new CreditServer();
const bound = await server.start({
  dbFile,
  clock: new SystemClock(),
  issuerCode: '2a11111',
  cardholders: path.join(import.meta.dirname, '../../../fixtures/seed001/cardholders.yaml'),
  port: Number(port),
  log: () => {},
});
process.stdout.write(JSON.stringify({ port: bound }) + '\n');
