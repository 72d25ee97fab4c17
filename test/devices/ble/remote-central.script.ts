/**
 * A POS central in its own process: unmodified noble attached through the seam to a transport string
 * (argv[2], e.g. ble:h4tcp:127.0.0.1:<port>), scans for the payment service, connects, reads the UserId
 * (noble pairs on Insufficient Authentication) and prints one JSON line.
 */
import { PAYMENT_SERVICE_UUID, paymentCharacteristic } from '../../../devices/ble/payment-service.js';
import { createNoble } from '../../../devices/ble/seam/install.js';

type Peripheral = import('@abandonware/noble').Peripheral;

const transport = process.argv[2]!;
const fail = (why: string): never => {
  process.stdout.write(JSON.stringify({ error: why }) + '\n');
  process.exit(1);
};
setTimeout(() => fail('timed out'), 20_000).unref();

const noble = createNoble(transport);
noble.on('stateChange', (state: string) => {
  if (state === 'poweredOn') void noble.startScanningAsync([PAYMENT_SERVICE_UUID], false);
});
noble.once('discover', (p: Peripheral) => {
  void (async () => {
    await noble.stopScanningAsync();
    await p.connectAsync();
    const uuid = paymentCharacteristic('UserId').uuid;
    const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync(
      [PAYMENT_SERVICE_UUID],
      [uuid],
    );
    const userId = (await characteristics[0]!.readAsync()).toString('latin1');
    const out = { address: p.address, name: p.advertisement.localName, userId };
    await p.disconnectAsync();
    process.stdout.write(JSON.stringify(out) + '\n');
    process.exit(0);
  })().catch((e: Error) => fail(e.message));
});
