/**
 * The control API over real HTTP on loopback: actions on a scanner twin, and a fuzz run of arbitrary
 * requests that must be answered with 4xx (never 500, never a crash) while the twin keeps working.
 */
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBench, type RunningBench } from '../../../host/bench/bench.js';
import { parseTransport } from '../../../host/bench/transport.js';

let bench: RunningBench;
let base: string;

beforeAll(async () => {
  const transportText = 'emu:scanner/honeywell-1900?mode=serial';
  bench = await startBench(
    {
      name: `control-api-${process.pid}`,
      clock: 'virtual',
      controlPort: 0,
      roles: [{ role: 'scanner', transport: parseTransport(transportText), transportText, capture: false }],
    },
    { register: false },
  );
  base = bench.control.url;
});

afterAll(async () => {
  await bench.close();
  rmSync(bench.runtimeDir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}${path}`, { method, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('control API', () => {
  it('describes the bench and the device', async () => {
    expect((await call('GET', '/')).json).toMatchObject({ bench: bench.name });
    const d = (await call('GET', '/devices/scanner')).json as Record<string, unknown>;
    expect(d).toMatchObject({ name: 'scanner', kind: 'scanner', emulated: true });
    expect(d['state']).toMatchObject({
      profile: 'honeywell-1900',
      commandSet: 'honeywell',
      plugged: true,
      led: 'off',
    });
  });

  it('injects faults, validates them and reports them in the state', async () => {
    const ok = await call('POST', '/devices/scanner/faults', JSON.stringify({ toHost: { dropRate: 0.5 } }));
    expect(ok.status).toBe(200);
    expect((await call('GET', '/devices/scanner')).json).toMatchObject({
      state: { faults: { toHost: { dropRate: 0.5 } } },
    });
    const bad = await call('POST', '/devices/scanner/faults', JSON.stringify({ toHost: { dropRate: 7 } }));
    expect(bad.status).toBe(400);
    expect(String((bad.json as { error: string }).error)).toMatch(/toHost\.dropRate/);
    await call('POST', '/devices/scanner/faults', JSON.stringify({}));
  });

  it('unplugs and replugs, refusing to do either twice', async () => {
    expect((await call('POST', '/devices/scanner/unplug')).status).toBe(200);
    expect((await call('POST', '/devices/scanner/unplug')).status).toBe(409);
    expect((await call('GET', '/devices/scanner')).json).toMatchObject({ state: { plugged: false } });
    expect((await call('POST', '/devices/scanner/replug')).status).toBe(200);
    expect((await call('POST', '/devices/scanner/replug')).status).toBe(409);
  });

  it('presents a symbol without reading it until the trigger is pulled', async () => {
    expect(
      (
        await call(
          'POST',
          '/devices/scanner/present',
          JSON.stringify({ symbology: 'ean8', text: '96385074' }),
        )
      ).json,
    ).toEqual({
      presented: true,
    });
    expect((await call('POST', '/devices/scanner/trigger')).json).toMatchObject({
      read: true,
      aim: ']E4',
      data: '96385074',
    });
    expect((await call('POST', '/devices/scanner/untrigger')).status).toBe(200);
    expect((await call('POST', '/devices/scanner/present', '{}')).json).toEqual({ presented: false });
  });

  it('power-cycles the twin', async () => {
    expect((await call('POST', '/devices/scanner/power-cycle')).status).toBe(200);
    expect(
      (await call('POST', '/devices/scanner/scan', JSON.stringify({ symbology: 'qr', text: 'x' }))).json,
    ).toMatchObject({ read: true });
  });

  it('answers arbitrary requests with 2xx/4xx, never 500, and keeps working (fuzz run)', async () => {
    const actions = ['scan', 'present', 'trigger', 'untrigger', 'faults', 'nothing', ''];
    const body = fc.oneof(
      fc.json(),
      fc.string(),
      fc.constantFrom(
        '{',
        'null',
        '[]',
        '{"image":1}',
        '{"symbology":"ean13","text":"x"}',
        '{"toHost":{"delayMs":-1}}',
      ),
    );
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        fc.constantFrom('/devices/scanner/', '/devices/', '/devices/%ff/', '/', '/events/'),
        fc.constantFrom(...actions),
        body,
        async (method, prefix, action, b) => {
          const res = await fetch(`${base}${prefix}${action}`, {
            method,
            ...(method === 'GET' ? {} : { body: b }),
          });
          await res.text();
          statuses.add(res.status);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 300, seed: 20261121 },
    );
    expect(statuses.has(400) || statuses.has(404)).toBe(true);
    const after = await call(
      'POST',
      '/devices/scanner/scan',
      JSON.stringify({ symbology: 'code128', text: 'STILL-OK' }),
    );
    expect(after.json).toMatchObject({ read: true, data: 'STILL-OK' });
  });
});
