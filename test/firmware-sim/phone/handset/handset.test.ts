/**
 * The handset on the seed-001 phone with its real UimCard (usim-seed001): PIN entry at power-on, identity
 * from the card, status bar from the modem's radio and battery, prompts resolved by key presses, the menu
 * and the application slot with the card-list demo application reading DF 7F50 / EF 6F03.
 */
import { describe, expect, it } from 'vitest';
import { CardListApp } from '../../../../firmware-sim/phone/handset/apps/card-list.js';
import { PromptCancelledError } from '../../../../firmware-sim/phone/handset/dialogs.js';
import { DeadlineError } from '../../../../firmware-sim/phone/handset/handset.js';
import type { ApplicationContext, PhoneApplication } from '../../../../firmware-sim/phone/handset/handset.js';
import { HandsetInputError } from '../../../../firmware-sim/phone/handset/keypad.js';
import type { Key } from '../../../../firmware-sim/phone/handset/keys.js';
import type { ScreenJson } from '../../../../firmware-sim/phone/handset/screen.js';
import { seedHandset, settle } from './helpers.js';

/** An application whose flow the test drives: it records what its prompts resolved to. */
class ScriptApp implements PhoneApplication {
  readonly id: string;
  readonly title: string;
  ctx: ApplicationContext | undefined;
  keys: Key[] = [];
  stopped = 0;
  constructor(
    id: string,
    private readonly flow: (ctx: ApplicationContext) => Promise<void> | void,
  ) {
    this.id = id;
    this.title = id.toUpperCase();
  }
  start(ctx: ApplicationContext) {
    this.ctx = ctx;
    return this.flow(ctx);
  }
  onKey(key: Key) {
    this.keys.push(key);
  }
  stop() {
    this.stopped++;
  }
}

describe('power-on and identity (usim-seed001, PIN1 1234)', () => {
  it('asks for the PIN masked; the JSON never holds the digits', () => {
    const { handset } = seedHandset();
    expect(handset.mode).toBe('pin');
    expect(handset.prompt).toBe('ask');
    for (const k of ['1', '2', '3'] as const) handset.press(k);
    const json = handset.screenJson();
    expect(json.title).toBe('Enter PIN (3 left)');
    expect(json.input).toMatchObject({ masked: true, mode: 'numeric', value: '***', length: 3 });
    expect(JSON.stringify(json)).not.toContain('123');
  });

  it('a wrong PIN is refused by the card and asked again with one attempt less', () => {
    const { handset } = seedHandset({ pin: '9999' });
    expect(handset.mode).toBe('pin');
    expect(handset.screen.notification).toBe('Wrong PIN');
    expect(handset.screen.title).toBe('Enter PIN (2 left)');
  });

  it('the right PIN: identity from EF_IMSI, EF_MSISDN, EF_ICCID of the card fixture; the modem registers', () => {
    const { handset, clock } = seedHandset({ pin: '1234' });
    expect(handset.mode).toBe('idle');
    expect(handset.identity).toEqual({
      imsi: '001010123456789',
      msisdn: '+447700900123',
      iccid: '8944200011231044047',
    });
    expect(handset.screenJson().status.operator).toBe('Searching');
    clock.advance(1000);
    const status = handset.screen.toJSON().status;
    // Registration is an event: the status bar follows without a key press (rssi 21 → 4 bars, battery 85 %).
    expect(status).toEqual({
      signalBars: 4,
      rssi: 21,
      batteryLevel: 85,
      charging: false,
      operator: 'Bench Network',
    });
  });

  it('three wrong PINs block the SIM: the handset says PUK required and refuses applications', () => {
    const { handset } = seedHandset();
    for (let i = 0; i < 3; i++) {
      handset.enterText('0000');
      handset.press('ok');
    }
    expect(handset.mode).toBe('sim-blocked');
    expect(handset.screen.lines).toEqual(['SIM blocked', 'PUK required']);
    handset.install(new CardListApp());
    expect(() => handset.launch('card-list')).toThrow(HandsetInputError);
  });

  it('battery and signal changes show after refreshStatus (they are plain values, as +CBC/+CSQ are)', () => {
    const { handset, clock, phone } = seedHandset({ pin: '1234' });
    clock.advance(1000);
    phone.modem.battery.level = 5;
    phone.modem.battery.status = 1;
    phone.modem.radio.rssi = 8;
    const events: ScreenJson[] = [];
    handset.screen.onChange((s) => events.push(s));
    handset.refreshStatus();
    expect(events).toHaveLength(1);
    expect(events[0]!.status).toMatchObject({ batteryLevel: 5, charging: true, signalBars: 1 });
  });
});

describe('prompts resolved by keys', () => {
  function running() {
    const t = seedHandset({ pin: '1234' });
    const results: unknown[] = [];
    return { ...t, results };
  }

  it('ask: multi-tap letters, masked entry, OK resolves with the text', async () => {
    const { handset, clock, results } = running();
    handset.install(
      new ScriptApp('a', async (ctx) => {
        results.push(await ctx.ask('User id', { numeric: true }));
        results.push(await ctx.ask('Password', { masked: true }));
      }),
    );
    handset.launch('a');
    handset.keypad.pressAll(['0', '0', '0', '0', '1']);
    expect(handset.screen.input?.value).toBe('00001');
    handset.press('ok');
    await settle();
    expect(results).toEqual(['00001']);
    // A B C D E F by multi-tap: 2, 2 2, 2 2 2, 3, 3 3, 3 3 3 with timeouts between same-key letters.
    handset.press('2');
    clock.advance(1000);
    handset.keypad.pressAll(['2', '2']);
    clock.advance(1000);
    handset.keypad.pressAll(['2', '2', '2', '3']);
    clock.advance(1000);
    handset.keypad.pressAll(['3', '3']);
    clock.advance(1000);
    handset.keypad.pressAll(['3', '3', '3']);
    expect(handset.screenJson().input).toMatchObject({ value: '******', masked: true });
    handset.press('soft-left');
    await settle();
    expect(results).toEqual(['00001', 'ABCDEF']);
  });

  it('choose: up/down move the highlight (wrapping), OK picks; a digit picks directly', async () => {
    const { handset, results } = running();
    handset.install(
      new ScriptApp('c', async (ctx) => {
        results.push(await ctx.choose('Pay by', ['Lump sum', 'Installments', 'Revolving']));
        results.push(await ctx.choose('Again', ['x', 'y', 'z']));
      }),
    );
    handset.launch('c');
    handset.press('up');
    expect(handset.screen.choices).toEqual({ items: ['Lump sum', 'Installments', 'Revolving'], selected: 2 });
    handset.press('down');
    handset.press('down');
    handset.press('ok');
    await settle();
    handset.press('2');
    await settle();
    expect(results).toEqual([1, 1]);
  });

  it("confirm with the seed's Agree / Not agree soft keys (FLOWS seed 001 step 8)", async () => {
    const { handset, results } = running();
    handset.install(
      new ScriptApp('k', async (ctx) => {
        results.push(
          await ctx.confirm(['Shop 1111111111', 'Total 1,080'], { yes: 'Agree', no: 'Not agree' }),
        );
        results.push(await ctx.confirm('Sure?'));
      }),
    );
    handset.launch('k');
    expect(handset.screenJson().softKeys).toEqual({ left: 'Agree', right: 'Not agree' });
    handset.press('soft-right');
    await settle();
    handset.answer('yes');
    await settle();
    expect(results).toEqual([false, true]);
  });

  it('Back on an empty field and End cancel prompts with PromptCancelledError; End returns to idle', async () => {
    const { handset, results } = running();
    const app = new ScriptApp('b', async (ctx) => {
      try {
        await ctx.ask('Q');
      } catch (err) {
        results.push(err instanceof PromptCancelledError);
      }
      await ctx.ask('Again');
    });
    handset.install(app);
    handset.launch('b');
    handset.press('back');
    await settle();
    expect(results).toEqual([true]);
    expect(handset.prompt).toBe('ask');
    handset.press('end');
    await settle();
    expect(handset.mode).toBe('idle');
    expect(app.stopped).toBe(1);
    expect(handset.runningApp).toBeUndefined();
  });

  it('scenario input: enterText, choose(index) and answer() with errors that say why', async () => {
    const { handset, results } = running();
    handset.install(
      new ScriptApp('s', async (ctx) => {
        results.push(await ctx.ask('PIN', { numeric: true, maxLength: 4 }));
        results.push(await ctx.choose('Card', ['A', 'B']));
      }),
    );
    handset.launch('s');
    expect(() => handset.enterText('12a')).toThrow(/digits only/);
    expect(() => handset.choose(0)).toThrow(/ask prompt, not a list/);
    handset.enterText('1234');
    handset.press('ok');
    await settle();
    expect(() => handset.choose(2)).toThrow(/items 0–1/);
    handset.answer('b');
    await settle();
    expect(results).toEqual(['1234', 1]);
    expect(() => handset.answer('x')).toThrow(/no prompt is open/);
  });

  it('notifications: a clock timeout or a key dismisses them; the key still acts', async () => {
    const { handset, clock } = running();
    const app = new ScriptApp('n', (ctx) => {
      ctx.show({ title: 'N', lines: ['waiting'] });
      ctx.notify('Mail received', { durationMs: 500 });
    });
    handset.install(app);
    handset.launch('n');
    expect(handset.screen.notification).toBe('Mail received');
    clock.advance(500);
    expect(handset.screen.notification).toBeUndefined();
    handset.notify('again');
    handset.press('5');
    expect(handset.screen.notification).toBeUndefined();
    expect(app.keys).toEqual(['5']);
  });

  it('an application that throws is stopped and reported; the keypad keeps working', async () => {
    const { handset } = running();
    const errors: string[] = [];
    handset.onEvent((e) => e.type === 'app-error' && errors.push(e.error ?? ''));
    const app = new ScriptApp('x', () => {});
    app.onKey = () => {
      throw new Error('boom');
    };
    handset.install(app);
    handset.launch('x');
    handset.press('1');
    expect(errors).toEqual(['boom']);
    expect(handset.mode).toBe('menu');
    expect(handset.screen.notification).toBe('X: error');
    handset.press('back');
    expect(handset.mode).toBe('idle');
  });

  it('sleep waits on the handset clock (a two-minute wait costs nothing on a virtual clock)', async () => {
    const { handset, clock, results } = running();
    handset.install(
      new ScriptApp('w', async (ctx) => {
        await ctx.sleep(120_000);
        results.push(clock.now());
      }),
    );
    handset.launch('w');
    const t0 = clock.now();
    clock.advance(119_999);
    await settle();
    expect(results).toEqual([]);
    clock.advance(1);
    await settle();
    expect(results).toEqual([t0 + 120_000]);
  });
});

describe('deadlines on the handset clock', () => {
  it('within(): the FLOWS seed 001 step 6 two-minute wait rejects with DeadlineError, an earlier answer wins', async () => {
    const { handset, clock } = seedHandset({ pin: '1234' });
    const outcomes: string[] = [];
    let answer: (v: string) => void = () => {};
    handset.install(
      new ScriptApp('g', async (ctx) => {
        try {
          await ctx.within(120_000, new Promise<string>(() => {}));
        } catch (err) {
          outcomes.push(err instanceof DeadlineError ? `deadline ${err.ms}` : 'other');
        }
        outcomes.push(await ctx.within(120_000, new Promise<string>((resolve) => (answer = resolve))));
      }),
    );
    handset.launch('g');
    clock.advance(119_999);
    await settle();
    expect(outcomes).toEqual([]);
    clock.advance(1);
    await settle();
    expect(outcomes).toEqual(['deadline 120000']);
    answer('details');
    await settle();
    clock.advance(120_000);
    await settle();
    expect(outcomes).toEqual(['deadline 120000', 'details']);
    expect(clock.pending).toBe(0);
  });
});

describe('menu and the card-list application', () => {
  it('idle → Menu → card list from DF 7F50 EF 6F03 (label "Card A ****4234", user id 00001)', async () => {
    const { handset } = seedHandset({ pin: '1234' });
    handset.install(new CardListApp());
    expect(handset.screen.softKeys.left).toBe('Menu');
    handset.press('soft-left');
    expect(handset.screenJson()).toMatchObject({
      title: 'Menu',
      choices: { items: ['Card list'], selected: 0 },
    });
    handset.press('ok');
    await settle();
    expect(handset.runningApp).toBe('card-list');
    expect(handset.screen.choices).toEqual({ items: ['Card A ****4234'], selected: 0 });
    handset.press('ok');
    await settle();
    expect(handset.screen.lines).toEqual(['Card A ****4234', 'User id: 00001']);
    handset.press('soft-left');
    await settle();
    expect(handset.prompt).toBe('choose');
    handset.press('back');
    await settle();
    expect(handset.mode).toBe('menu');
    expect(handset.runningApp).toBeUndefined();
  });

  it('the card list on the GSM SIM fixture too (seed001-gsm phone, CLA A0 selection, user 00002)', async () => {
    const { handset } = seedHandset({ profile: 'seed001-gsm', pin: '0000' });
    expect(handset.mode).toBe('idle');
    expect(handset.identity.imsi).toMatch(/^\d{15}$/);
    handset.install(new CardListApp());
    handset.launch('card-list');
    await settle();
    expect(handset.screen.choices?.items).toEqual(['Card B ****5234']);
    handset.press('1');
    await settle();
    expect(handset.screen.lines).toEqual(['Card B ****5234', 'User id: 00002']);
  });

  it('install refuses duplicate or malformed ids; a launch replaces the running application', async () => {
    const { handset } = seedHandset({ pin: '1234' });
    const a = new ScriptApp('one', (ctx) => ctx.show({ title: 'One' }));
    handset.install(a);
    expect(() => handset.install(new ScriptApp('one', () => {}))).toThrow(/already installed/);
    expect(() => handset.install(new ScriptApp('Bad Id', () => {}))).toThrow(RangeError);
    handset.install(new CardListApp());
    handset.launch('one');
    handset.launch('card-list', { reason: 'mail' });
    expect(a.stopped).toBe(1);
    // The stopped application's context no longer draws.
    a.ctx!.show({ title: 'stale' });
    await settle();
    expect(handset.screen.title).toBe('Card list');
    expect(a.ctx!.active).toBe(false);
  });
});
