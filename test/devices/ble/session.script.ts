/**
 * A whole noble/bleno session in a process of its own, for exit.test.ts: the process must end by itself
 * once the session is over, although both stacks keep polling their socket every second.
 */
import { PUBLIC_CHR, SERVICE, discoverPhone, startBleBench } from './bench.js';

const bench = await startBleBench();
const p = await discoverPhone(bench);
await p.connectAsync();
const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([SERVICE], [PUBLIC_CHR]);
process.stdout.write(`${(await characteristics[0]!.readAsync()).toString()}\n`);
await p.disconnectAsync();
await bench.close();
