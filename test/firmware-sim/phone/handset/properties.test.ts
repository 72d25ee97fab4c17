/**
 * Properties of the handset under arbitrary use: any sequence of key presses, clock jumps and scenario
 * input (text, choices, answers) never throws out of `press`, scenario calls fail only with
 * HandsetInputError, and the screen stays a consistent JSON document that never shows a masked secret.
 * Then a seeded fuzz run over many longer random sessions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../devices/serial/faults.js';
import { CardListApp } from '../../../../firmware-sim/phone/handset/apps/card-list.js';
import type {
  ApplicationContext,
  Handset,
  PhoneApplication,
} from '../../../../firmware-sim/phone/handset/handset.js';
import { HandsetInputError } from '../../../../firmware-sim/phone/handset/keypad.js';
import { KEYS } from '../../../../firmware-sim/phone/handset/keys.js';
import type { Key } from '../../../../firmware-sim/phone/handset/keys.js';
import type { ScreenJson } from '../../../../firmware-sim/phone/handset/screen.js';
import { seedHandset, settle } from './helpers.js';

/** A flow with every kind of prompt, a masked one holding SECRET-like input, looping until stopped. */
class FlowApp implements PhoneApplication {
  readonly id = 'flow';
  readonly title = 'Flow';
  async start(ctx: ApplicationContext): Promise<void> {
    while (ctx.active) {
      await ctx.ask('Secret', { masked: true });
      const i = await ctx.choose('Pick', ['a', 'b', 'c']);
      if (await ctx.confirm(`picked ${i}`, { yes: 'Agree', no: 'Not agree' })) ctx.notify('ok');
      ctx.show({ title: 'Code', image: { kind: 'barcode', symbology: 'qr', text: `X${i}` } });
      await ctx.sleep(10);
    }
  }
  onKey(): void {}
  stop(): void {}
}

type Action =
  | { kind: 'key'; key: Key }
  | { kind: 'advance'; ms: number }
  | { kind: 'text'; text: string }
  | { kind: 'choose'; index: number }
  | { kind: 'answer'; text: string }
  | { kind: 'launch'; id: string };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...KEYS).map((key) => ({ kind: 'key' as const, key })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 5000 }).map((ms) => ({ kind: 'advance' as const, ms })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((text) => ({ kind: 'text' as const, text })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: -2, max: 5 }).map((index) => ({ kind: 'choose' as const, index })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('yes', 'no', 'b', 'Agree', '1234', '', 'x')
      .map((text) => ({ kind: 'answer' as const, text })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('flow', 'card-list', 'none').map((id) => ({ kind: 'launch' as const, id })),
  },
);

function checkScreen(json: ScreenJson): void {
  const round = JSON.parse(JSON.stringify(json)) as ScreenJson;
  expect(round).toEqual(json);
  expect(typeof json.title).toBe('string');
  expect(json.status.signalBars).toBeGreaterThanOrEqual(0);
  expect(json.status.signalBars).toBeLessThanOrEqual(4);
  if (json.choices) {
    expect(json.choices.items.length).toBeGreaterThan(0);
    expect(json.choices.selected).toBeGreaterThanOrEqual(0);
    expect(json.choices.selected).toBeLessThan(json.choices.items.length);
  }
  if (json.input) {
    expect(json.input.length).toBeLessThanOrEqual(json.input.maxLength);
    if (json.input.masked) expect(json.input.value).toBe('*'.repeat(json.input.length));
  }
}

async function run(handset: Handset, clock: { advance(ms: number): void }, actions: readonly Action[]) {
  const seen: ScreenJson[] = [];
  handset.screen.onChange((s) => seen.push(s));
  for (const a of actions) {
    try {
      if (a.kind === 'key') handset.press(a.key);
      else if (a.kind === 'advance') clock.advance(a.ms);
      else if (a.kind === 'text') handset.enterText(a.text);
      else if (a.kind === 'choose') handset.choose(a.index);
      else if (a.kind === 'answer') handset.answer(a.text);
      else handset.launch(a.id);
    } catch (err) {
      expect(err).toBeInstanceOf(HandsetInputError);
    }
    await settle();
  }
  const last = handset.screenJson();
  checkScreen(last);
  for (const s of seen) checkScreen(s);
  return seen;
}

describe('handset properties', () => {
  it('arbitrary actions never throw (scenario calls only HandsetInputError); the screen stays valid JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(action, { maxLength: 60 }), async (unlocked, actions) => {
        const { handset, clock } = seedHandset(unlocked ? { pin: '1234' } : {});
        handset.install(new FlowApp());
        handset.install(new CardListApp());
        await run(handset, clock, actions);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('masked input: the digits typed never reach the screen JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[0-9]{4,8}$/), async (pin) => {
        const { handset } = seedHandset();
        const seen: string[] = [];
        handset.screen.onChange((s) => seen.push(JSON.stringify(s)));
        for (const d of pin) handset.press(d as Key);
        for (const s of seen) expect(s).not.toMatch(/"value":"[^"*]/);
        expect(handset.screen.toJSON().input?.value).toBe('*'.repeat(pin.length));
        expect(handset.screen.inputValue()).toBe(pin);
      }),
      { numRuns: 30 },
    );
  });
});

describe('handset fuzz run (seeded)', () => {
  it('150 random sessions of 200 actions (mulberry32 seed 0x4a5e7): no throw, valid screens', async () => {
    const rnd = mulberry32(0x4a5e7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    let screens = 0;
    for (let session = 0; session < 150; session++) {
      const { handset, clock } = seedHandset(session % 4 === 0 ? {} : { pin: '1234' });
      handset.install(new FlowApp());
      handset.install(new CardListApp());
      const actions: Action[] = [];
      for (let i = 0; i < 200; i++) {
        const r = rnd();
        if (r < 0.85) actions.push({ kind: 'key', key: pick(KEYS) });
        else if (r < 0.9) actions.push({ kind: 'advance', ms: Math.floor(rnd() * 3000) });
        else if (r < 0.94)
          actions.push({ kind: 'text', text: pick(['12', 'AB', 'x y', '\u00e9', '9'.repeat(40)]) });
        else if (r < 0.97) actions.push({ kind: 'choose', index: Math.floor(rnd() * 6) - 1 });
        else actions.push({ kind: 'launch', id: pick(['flow', 'card-list']) });
      }
      screens += (await run(handset, clock, actions)).length;
    }
    expect(screens).toBeGreaterThan(150);
  }, 300_000);
});
