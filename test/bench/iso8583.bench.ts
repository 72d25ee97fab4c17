/**
 * ISO 8583 pack + unpack throughput of benchtwin's codec against the npm `iso_8583` package (a reference,
 * not a dependency: binary bitmap, always a secondary bitmap, untyped) on the same 0100 and 0110 messages,
 * each round packing both with their length prefix and unpacking them again. Reported as messages/s and
 * as a ratio; no target.
 */
import { createRequire } from 'node:module';
import { afterAll, bench, describe, expect } from 'vitest';
import { frameMessage } from '../../devices/cat/iso8583-link.js';
import {
  buildAuthorizationRequest,
  buildAuthorizationResponse,
  decodeMessage,
  encodeMessage,
  type Iso8583Message,
} from '../../firmware-sim/cat/iso8583/index.js';
import { report } from './report.js';

interface NpmIso8583 {
  validateMessage(): boolean | object;
  getBufferMessage(): Buffer;
  getIsoJSON(buffer: Buffer, config: object): Record<string, string>;
}
const NpmIso = createRequire(import.meta.url)('iso_8583') as new (
  message?: Record<string, string>,
) => NpmIso8583;

const ROUND = 2000;
const request = buildAuthorizationRequest({
  pan: '1234223432344234',
  expiry: '3012',
  amountMinor: 12_500,
  currencyNumeric: '392',
  stan: 1,
  terminalId: 'GW01',
  merchantId: '1111111111',
  paymentMethod: 'I',
  installments: 3,
  transactionNumber: '100001',
  at: new Date(Date.UTC(2026, 6, 3, 10, 20, 0)),
});
const response = buildAuthorizationResponse(request, {
  responseCode: '00',
  approvalCode: 'A1B2C3',
  rrn: '618410000001',
});
const MESSAGES: Iso8583Message[] = [request, response];
const npmData = MESSAGES.map((m) => {
  const out: Record<string, string> = { 0: m.mti };
  for (const [k, v] of Object.entries(m.fields)) if (v !== undefined) out[k] = v;
  return out;
});
const time = { ours: [] as number[], npm: [] as number[] };

// Both codecs must agree on the fields before their speed means anything.
for (const [i, m] of MESSAGES.entries()) {
  const r = decodeMessage(frameMessage(encodeMessage(m)).subarray(2));
  expect(r.ok && r.message).toEqual(m);
  expect(new NpmIso().getIsoJSON(new NpmIso(npmData[i]).getBufferMessage(), {})).toEqual(npmData[i]);
}

afterAll(() => {
  const rate = (t: number[]): number =>
    (t.length * ROUND * MESSAGES.length) / (t.reduce((a, b) => a + b, 0) / 1000);
  const ours = rate(time.ours);
  const npm = rate(time.npm);
  report(`ISO 8583 pack + unpack, 0100 and 0110, rounds of ${ROUND} × 2 messages`, [
    { figure: 'benchtwin codec', value: `${ours.toFixed(0)} msg/s`, target: '-', met: true },
    { figure: 'npm iso_8583', value: `${npm.toFixed(0)} msg/s`, target: '-', met: true },
    { figure: 'ratio benchtwin / iso_8583', value: (ours / npm).toFixed(2), target: 'reported', met: true },
  ]);
});

describe('iso8583', () => {
  bench(
    `benchtwin codec: ${ROUND} × pack + unpack of 0100 and 0110`,
    () => {
      const t0 = performance.now();
      for (let i = 0; i < ROUND; i++) {
        for (const m of MESSAGES) {
          const framed = frameMessage(encodeMessage(m));
          const r = decodeMessage(framed.subarray(2));
          if (!r.ok) throw new Error(r.error.reason);
        }
      }
      time.ours.push(performance.now() - t0);
    },
    { iterations: 10, warmupIterations: 2, time: 0 },
  );

  bench(
    `npm iso_8583: ${ROUND} × pack + unpack of 0100 and 0110`,
    () => {
      const t0 = performance.now();
      for (let i = 0; i < ROUND; i++) {
        for (const data of npmData) {
          const buffer = new NpmIso(data).getBufferMessage();
          const json = new NpmIso().getIsoJSON(buffer, {});
          if (json[0] !== data[0]) throw new Error('iso_8583 lost the MTI');
        }
      }
      time.npm.push(performance.now() - t0);
    },
    { iterations: 10, warmupIterations: 2, time: 0 },
  );
});
