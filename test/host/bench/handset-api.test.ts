/**
 * The handset part of the control API on the seed-001 phone with its real card: bodies validated with
 * clear errors, key names and aliases, text / choose / answer, and the screen as JSON and PNG.
 */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ActionError } from '../../../host/bench/device.js';
import { applyKeys, parseHandsetInput, screenJson, screenPng } from '../../../host/bench/handset-api.js';
import { CardListApp } from '../../../firmware-sim/phone/handset/apps/card-list.js';
import type { PhoneApplication } from '../../../firmware-sim/phone/handset/handset.js';
import { seedHandset } from '../../firmware-sim/phone/handset/helpers.js';

async function refusal(p: Promise<unknown>): Promise<ActionError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ActionError);
    return err as ActionError;
  }
  throw new Error('expected a refusal');
}

describe('handset control API', () => {
  it('unlocks with {"text"} + {"keys": ["ok"]}, opens the menu and the card list by key names and aliases', async () => {
    const { handset } = seedHandset();
    handset.install(new CardListApp());
    expect((await applyKeys(handset, { text: '1234' })).input).toMatchObject({ value: '****', masked: true });
    expect((await applyKeys(handset, { keys: ['select'] })).title).toBe('BT-P1 Payment Phone');
    const list = await applyKeys(handset, { keys: ['LSK', 'ok'] });
    expect(list).toMatchObject({ title: 'Card list', choices: { items: ['Card A ****4234'], selected: 0 } });
    const detail = await applyKeys(handset, { choose: 0 });
    expect(detail.lines).toEqual(['Card A ****4234', 'User id: 00001']);
    expect((await applyKeys(handset, { answer: 'Exit' })).title).toBe('Menu');
    expect((await applyKeys(handset, { launch: 'card-list' })).title).toBe('Card list');
    expect(screenJson(handset).choices?.items).toEqual(['Card A ****4234']);
  });

  it('refuses malformed bodies with what was expected (400) and unknown keys by position', async () => {
    const { handset } = seedHandset();
    for (const body of [
      {},
      { keys: [] },
      { keys: 'ok' },
      { text: 1 },
      { choose: -1 },
      { choose: 1.5 },
      { keys: ['ok'], text: 'x' },
      null,
    ]) {
      const e = await refusal(applyKeys(handset, body));
      expect(e.status).toBe(400);
      expect(e.message).toMatch(/^expected exactly one of/);
    }
    const e = await refusal(applyKeys(handset, { keys: ['1', 'F13'] }));
    expect(e.message).toMatch(/^keys\[1\]: "F13" is not a key/);
    // Nothing was pressed: the names are checked first.
    expect(handset.screen.input?.value).toBe('');
  });

  it('input the screen cannot take now is a 409 with the reason', async () => {
    const { handset } = seedHandset();
    expect((await refusal(applyKeys(handset, { text: '12ab' }))).status).toBe(409);
    expect((await refusal(applyKeys(handset, { choose: 1 }))).message).toMatch(/not a list/);
    expect((await refusal(applyKeys(handset, { launch: 'nothing' }))).message).toMatch(
      /no application "nothing"/,
    );
  });

  it('{"launch", "url"} opens the application with the link as its launch data; a url that is not a URL is a 400', async () => {
    expect(parseHandsetInput({ launch: 'seed001-payment', url: 'https://shop.benchtwin.test/c' })).toEqual({
      launch: 'seed001-payment',
      url: 'https://shop.benchtwin.test/c',
    });
    const { handset } = seedHandset({ pin: '1234' });
    const seen: unknown[] = [];
    const app: PhoneApplication = {
      id: 'link-app',
      title: 'Link',
      start: (ctx) => {
        seen.push(ctx.launchData);
        ctx.show({ title: 'Link', lines: [] });
      },
      onKey: () => undefined,
      stop: () => undefined,
    };
    handset.install(app);
    await applyKeys(handset, { launch: 'link-app', url: 'https://shop.benchtwin.test/c' });
    await applyKeys(handset, { launch: 'link-app' });
    expect(seen).toEqual([{ url: 'https://shop.benchtwin.test/c' }, undefined]);
    expect((await refusal(applyKeys(handset, { launch: 'link-app', url: 'not a link' }))).status).toBe(400);
  });

  it('parseHandsetInput normalises key aliases', () => {
    expect(parseHandsetInput({ keys: ['clear', 'Power', 'soft_right', '#'] })).toEqual({
      keys: ['back', 'end', 'soft-right', '#'],
    });
  });

  it('screenPng is a 240 × 320 PNG of the current screen', async () => {
    const { handset } = seedHandset({ pin: '1234' });
    const png = PNG.sync.read(await screenPng(handset));
    expect([png.width, png.height]).toEqual([240, 320]);
  });
});
