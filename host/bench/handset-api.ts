/**
 * What the control API does with an emulated handset: show its screen (`GET <control>/screen` as JSON or
 * PNG) and act as its user (`POST <control>/keys`). Bodies are validated with zod; every refusal is an
 * ActionError that says what was expected (400) or why the screen cannot take it now (409).
 *
 *   {"keys": ["1", "2", "ok"]}   key presses in order (names or aliases: select, clear, power, lsk, rsk…)
 *   {"text": "1234"}              typed into the open input field (instead of multi-tapping)
 *   {"choose": 2}                 picks item 2 (0-based) of the list on the screen (a prompt or the menu)
 *   {"answer": "Agree"}           answers the open prompt: the field's text, an item, a soft-key label or yes/no
 *   {"launch": "card-list"}       starts an installed application
 *   {"launch": "seed001-payment", "url": "https://shop.benchtwin.test/…"}   … opened with a link
 */
import { z } from 'zod';
import { HandsetInputError } from '../../firmware-sim/phone/handset/keypad.js';
import type { Handset } from '../../firmware-sim/phone/handset/handset.js';
import { KEYS, parseKey } from '../../firmware-sim/phone/handset/keys.js';
import type { Key } from '../../firmware-sim/phone/handset/keys.js';
import { renderScreenPng } from '../../firmware-sim/phone/handset/render.js';
import type { ScreenJson } from '../../firmware-sim/phone/handset/screen.js';
import { ActionError } from './device.js';

const MAX_KEYS = 256;
const MAX_TEXT = 256;

export const HandsetInputBody = z.union([
  z.object({ keys: z.array(z.string()).min(1).max(MAX_KEYS) }).strict(),
  z.object({ text: z.string().max(MAX_TEXT) }).strict(),
  z.object({ choose: z.number().int().min(0) }).strict(),
  z.object({ answer: z.string().max(MAX_TEXT) }).strict(),
  z
    .object({
      launch: z.string().min(1).max(32),
      /** A link the application is opened with, as a browser hands one over (a shop's checkout). */
      url: z.string().url().max(MAX_TEXT).optional(),
    })
    .strict(),
]);
export type HandsetInputBody = z.infer<typeof HandsetInputBody>;

const EXPECTED =
  'expected exactly one of {"keys": ["1", "ok", …]}, {"text": "…"}, {"choose": <index from 0>}, ' +
  `{"answer": "…"}, {"launch": "<application id>", "url"?: "<link>"} (at most ${MAX_KEYS} keys, ${MAX_TEXT} characters)`;

/** Lets an application continue after a prompt resolved, before the next input arrives. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The screen as JSON, status bar refreshed. */
export function screenJson(handset: Handset): ScreenJson {
  return handset.screenJson();
}

/** The screen as a 240 × 320 grey PNG. */
export function screenPng(handset: Handset): Promise<Buffer> {
  return renderScreenPng(handset.screenJson());
}

/** Validates a body: the key names are checked before anything is pressed. */
export function parseHandsetInput(
  body: unknown,
): { keys: Key[] } | Exclude<HandsetInputBody, { keys: string[] }> {
  const parsed = HandsetInputBody.safeParse(body);
  if (!parsed.success) throw new ActionError(EXPECTED);
  const b = parsed.data;
  if (!('keys' in b)) return b;
  const keys: Key[] = [];
  b.keys.forEach((name, i) => {
    const key = parseKey(name);
    if (!key) throw new ActionError(`keys[${i}]: "${name}" is not a key; keys are ${KEYS.join(' ')}`);
    keys.push(key);
  });
  return { keys };
}

/**
 * Applies a `POST <control>/keys` body and answers the screen afterwards. Keys are pressed one at a time,
 * letting the application run between them, as a user's presses are apart in time.
 */
export async function applyKeys(handset: Handset, body: unknown): Promise<ScreenJson> {
  const input = parseHandsetInput(body);
  try {
    if ('keys' in input) {
      for (const key of input.keys) {
        handset.press(key);
        await settle();
      }
    } else if ('text' in input) {
      handset.enterText(input.text);
    } else if ('choose' in input) {
      handset.choose(input.choose);
    } else if ('answer' in input) {
      handset.answer(input.answer);
    } else {
      handset.launch(input.launch, input.url === undefined ? undefined : { url: input.url });
    }
  } catch (err) {
    if (err instanceof HandsetInputError) throw new ActionError(err.message, 409);
    throw err;
  }
  await settle();
  return handset.screenJson();
}
