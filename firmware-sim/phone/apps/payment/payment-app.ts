/**
 * The seed-001 payment application of the handset (FLOWS seed 001 embodiment 1 steps 2, 5–12, and the
 * reply of embodiment 2; docs/PHONE-PAYMENT-APP.md).
 *
 * - From the menu: pick a card, give user id and password; the UIM checks them (VERIFY PAYMENT PASSWORD
 *   with the phone's calendar time, one hour of validity) and keeps the authentication result; the user id
 *   goes out on the BLE payment service and the phone waits to be presented to the terminal.
 * - On a WAP Push from the gateway: fetch the mailbox, keep only mails signed by the gateway with the
 *   expected commands, and start by itself with the newest one.
 * - Payment request: forward the card's authentication result with user id and device id, show the
 *   details (Agree / Not agree), offer the methods, show the outcome. Each answer is awaited at most two
 *   minutes of the handset's clock.
 * - Confirmation request (embodiment 2): show the details, ask the password, post the reply.
 *
 * Pure firmware: time from ctx.clock, I/O only through ctx.uim, ctx.https and ctx.ble.
 */
import type {
  AgreementAnswer,
  ConfirmationRequestCommands,
  Mail,
  MethodChoice,
  PaymentMethod,
  PaymentOutcome,
  PaymentRequestCommands,
  PhoneAuthentication,
  TransactionDetails,
} from '../../../payment/gateway-api.js';
import { whileHeld } from '../../../clock.js';
import { DEFAULT_AUTH_VALIDITY_S } from '../../../uim/payment.js';
import { PAYMENT_METHOD_NAMES, PAYMENT_METHODS } from '../../../payment/gateway-api.js';
import type { BleConfirmation } from '../../handset/ble-port.js';
import { PromptCancelledError } from '../../handset/dialogs.js';
import { DeadlineError } from '../../handset/handset.js';
import type { ApplicationContext, PhoneApplication, PushContext, WapPush } from '../../handset/handset.js';
import { HttpsError } from '../../handset/https.js';
import type { Key } from '../../handset/keys.js';
import { isBlocked, isOk, isWrongCode } from '../../uim-access.js';
import { checkMail } from './mail-check.js';
import { formatAmount, formatTime, itemLines, reasonText } from './texts.js';
import {
  readAuthResult,
  readDeviceId,
  readGatewayUrl,
  readPaymentUsers,
  swText,
  verifyPaymentPassword,
} from './uim-payment.js';

export const PAYMENT_APP_ID = 'seed001-payment';
/** FLOWS seed 001 step 6: the phone waits at most two minutes for each answer. */
export const ANSWER_TIMEOUT_MS = 120_000;
const MAX_INSTALLMENTS = 36;

export interface PaymentAppOptions {
  /** Validity of an authentication on the card, seconds (default 3600, the seed's one hour). */
  validityS?: number;
  /** Longest wait for each gateway answer, handset clock ms (default two minutes). */
  answerTimeoutMs?: number;
}

/** What the application is launched with after a push: the checked mail and the mailbox it came from. */
export interface PaymentLaunch {
  mail: Mail;
  /** The mailbox URL (the push's href). */
  mailbox: string;
}

interface Run {
  ctx: ApplicationContext;
  /** The screen on show is a final one: OK, Back or the right soft key close the application. */
  closeOnKey: boolean;
  unsubscribe: (() => void) | undefined;
  confirmation: BleConfirmation | undefined;
}

type CallResult<T> =
  | { kind: 'ok'; json: T }
  | { kind: 'refused'; status: number; reason: unknown; error: string }
  | { kind: 'failed'; lines: string[] };

const isLaunch = (v: unknown): v is PaymentLaunch =>
  typeof v === 'object' && v !== null && 'mail' in v && 'mailbox' in v;

/**
 * The web-shop variant: the application opened from a shop's checkout link (`{ url }`, as a browser hands a
 * link to an application). After step 2 the user id goes to that URL over HTTPS instead of Bluetooth.
 */
export interface CheckoutLaunch {
  url: string;
}

const checkoutOf = (v: unknown): URL | undefined => {
  const url = typeof v === 'object' && v !== null ? (v as { url?: unknown }).url : undefined;
  if (typeof url !== 'string' || !URL.canParse(url)) return undefined;
  const u = new URL(url);
  // The user id leaves the phone only over TLS.
  return u.protocol === 'https:' ? u : undefined;
};

export class PaymentApp implements PhoneApplication {
  readonly id = PAYMENT_APP_ID;
  readonly title = 'Pay';
  private run: Run | undefined;
  /** Mails already acted on or refused (by message id): a mailbox fetched again does not repeat them. */
  private readonly seen = new Set<string>();
  private readonly validityS: number;
  private readonly answerTimeoutMs: number;

  constructor(options: PaymentAppOptions = {}) {
    this.validityS = options.validityS ?? DEFAULT_AUTH_VALIDITY_S;
    this.answerTimeoutMs = options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS;
  }

  async start(ctx: ApplicationContext): Promise<void> {
    const run: Run = { ctx, closeOnKey: false, unsubscribe: undefined, confirmation: undefined };
    this.run = run;
    try {
      const launch = ctx.launchData;
      if (isLaunch(launch) && launch.mail.kind === 'payment-request') await this.pay(run, launch);
      else if (isLaunch(launch) && launch.mail.kind === 'confirmation-request') await this.reply(run, launch);
      else await this.authenticate(run);
    } catch (err) {
      // Back on a list or a field leaves the application, as on any phone.
      if (err instanceof PromptCancelledError) {
        if (ctx.active) ctx.exit();
        return;
      }
      throw err;
    }
  }

  onKey(key: Key): void {
    const run = this.run;
    if (run?.closeOnKey && (key === 'ok' || key === 'back' || key === 'soft-right')) run.ctx.exit();
  }

  stop(): void {
    this.run?.unsubscribe?.();
    this.run = undefined;
  }

  // ----- step 2: user id and password checked by the UIM --------------------------------------------

  private async authenticate(run: Run): Promise<void> {
    const { ctx } = run;
    const uim = ctx.uim;
    if (!uim) return this.final(run, 'Pay', ['No SIM card', 'Insert the SIM card with your credit cards.']);
    const { users, sw } = readPaymentUsers(uim);
    if (users.length === 0) return this.final(run, 'Pay', cardProblem(sw, 'No credit cards registered'));
    const index = await ctx.choose(
      'Please select a credit card',
      users.map((u) => u.label || u.userId),
    );
    const card = users[index]!;
    for (;;) {
      const userId = await ctx.ask('User id', { title: 'User id', maxLength: 16 });
      const password = await ctx.ask('Password', { title: 'Password', masked: true, maxLength: 64 });
      const now = Math.floor(ctx.calendarTime() / 1000);
      // The typed id must be the picked card's: the card would otherwise authenticate another card.
      const vsw =
        userId === card.userId
          ? // The card works (its key derivation may run off the thread): time stands still meanwhile.
            await whileHeld(ctx.clock, () =>
              verifyPaymentPassword(uim, { userId, password, now, validity: this.validityS }),
            )
          : undefined;
      if (vsw !== undefined && isOk(vsw)) {
        const checkout = checkoutOf(ctx.launchData);
        if (checkout) return this.sendToShop(run, checkout, userId, now);
        this.offerUserId(run, userId);
        return this.final(run, 'Authenticated', [
          'Present your phone to the terminal',
          `User id ${userId}`,
          `Valid until ${formatTime((now + this.validityS) * 1000)}`,
        ]);
      }
      if (vsw !== undefined && isBlocked(vsw)) {
        return this.final(run, 'Password blocked', [
          'Too many wrong passwords.',
          'Ask your card provider to unblock it.',
          'Nothing was sent.',
        ]);
      }
      if (vsw === undefined || isWrongCode(vsw)) {
        const left = vsw !== undefined && (vsw & 0xfff0) === 0x63c0 ? vsw & 0x0f : undefined;
        const lines = [
          vsw === undefined ? 'The user id is not the selected card\u2019s' : 'Wrong user id or password',
          ...(left !== undefined ? [`${left} ${left === 1 ? 'try' : 'tries'} left`] : []),
          'Nothing was sent.',
        ];
        if (!(await ctx.confirm(lines, { yes: 'Retry', no: 'Close' }, 'Not authenticated'))) {
          ctx.exit();
          return;
        }
        continue;
      }
      return this.final(run, 'Pay', cardProblem(vsw, 'The card refused the password check'));
    }
  }

  /** The web-shop variant: the user id to the shop's checkout over the mobile network. */
  private async sendToShop(run: Run, checkout: URL, userId: string, now: number): Promise<void> {
    const { ctx } = run;
    const valid = `Valid until ${formatTime((now + this.validityS) * 1000)}`;
    ctx.show({ title: 'Pay', lines: [`Sending your user id to ${checkout.hostname}...`] });
    let problem: string;
    if (!ctx.https) problem = 'No mobile data';
    else {
      try {
        const r = await ctx.within(this.answerTimeoutMs, ctx.https.postJson(checkout.href, { userId }));
        if (r.status >= 200 && r.status < 300)
          return this.final(run, 'Authenticated', [
            `User id sent to ${checkout.hostname}`,
            `User id ${userId}`,
            valid,
          ]);
        const error = (r.json as { error?: unknown } | null)?.error;
        problem = `The shop answered: ${typeof error === 'string' ? error : `HTTP ${r.status}`}`;
      } catch (err) {
        problem = `Cannot reach the shop (${describeError(err)})`;
      }
    }
    return this.final(run, 'Not sent', [problem, `User id ${userId}`, valid]);
  }

  private offerUserId(run: Run, userId: string | undefined): void {
    // A run the handset stopped (replaced by a newer one) must not touch what the newer one offers.
    if (!run.ctx.active) return;
    try {
      run.ctx.ble?.setUserId(userId);
    } catch (err) {
      run.ctx.log(`BLE: user id not offered: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // ----- step 5: the gateway's push and mail ----------------------------------------------------------

  async onPush(push: WapPush, ctx: PushContext): Promise<void> {
    const ignore = (why: string): void => ctx.log(`push ignored: ${why}`);
    const href = push.si.href;
    if (!href || push.si.action === 'delete') return ignore('no link to fetch');
    if (!ctx.uim) return ignore('no SIM card');
    if (!ctx.https) return ignore('no mobile data');
    const gateway = readGatewayUrl(ctx.uim);
    if (!gateway.ok) return ignore(`gateway URL unreadable: ${gateway.reason}`);
    const host = gateway.value.hostname;
    let mailbox: URL;
    try {
      mailbox = new URL(href);
    } catch {
      return ignore(`link "${href}" is not a URL`);
    }
    // The phone follows only links to its own gateway (the host of EF 6F02), over TLS.
    if (mailbox.protocol !== 'https:' || mailbox.hostname !== host)
      return ignore(`link not on https://${host}`);
    let answer: { status: number; json: unknown };
    try {
      answer = await ctx.within(this.answerTimeoutMs, ctx.https.getJson(mailbox.href));
    } catch (err) {
      return ignore(`mailbox fetch failed: ${describeError(err)}`);
    }
    const messages = (answer.json as { messages?: unknown } | null)?.messages;
    if (answer.status !== 200 || !Array.isArray(messages))
      return ignore(`mailbox answered HTTP ${answer.status} without messages`);
    const fresh: Mail[] = [];
    for (const m of messages) {
      const id = (m as { messageId?: unknown } | null)?.messageId;
      if (typeof id === 'string' && this.seen.has(id)) continue;
      const check = checkMail(m, {
        trustedCas: ctx.trustedCas,
        gatewayHost: host,
        nowMs: ctx.calendarTime(),
      });
      if (typeof id === 'string') this.seen.add(id);
      if (!check.ok) {
        ctx.log(`mail ${typeof id === 'string' ? id : '?'} ignored: ${check.reason}`);
        continue;
      }
      fresh.push(check.mail);
    }
    const newest = fresh.at(-1);
    if (!newest) return ignore('no new mail from the gateway');
    for (const old of fresh.slice(0, -1)) ctx.log(`mail ${old.messageId} superseded by ${newest.messageId}`);
    ctx.log(`mail ${newest.messageId} (${newest.kind}) accepted`);
    const launch: PaymentLaunch = { mail: newest, mailbox: mailbox.href };
    ctx.launch(launch);
  }

  // ----- steps 6–12: the payment -----------------------------------------------------------------------

  private async pay(run: Run, launch: PaymentLaunch): Promise<void> {
    const { ctx } = run;
    const commands = launch.mail.commands as PaymentRequestCommands;
    const txn = commands.transactionId;
    run.unsubscribe = ctx.ble?.onConfirmation((c) => this.confirmation(run, txn, c));
    ctx.show({
      title: 'Pay',
      lines: ['Payment request', `Transaction ${txn}`, 'Contacting the payment server...'],
    });
    const uim = ctx.uim;
    if (!uim) return this.final(run, 'Payment aborted', ['No SIM card']);
    const auth = readAuthResult(uim);
    const device = readDeviceId(uim);
    if (!auth.ok || !device.ok) {
      const sw = !auth.ok ? auth.sw : !device.ok ? device.sw : 0x9000;
      return this.final(run, 'Payment aborted', cardProblem(sw, 'The card could not be read'));
    }
    if (!auth.value.result) return this.askToAuthenticate(run, ['You have not authenticated on this phone.']);
    const base = `${commands.paymentServer.replace(/\/+$/, '')}/transactions/${encodeURIComponent(txn)}`;
    const body: PhoneAuthentication = {
      userId: auth.value.result.userId,
      deviceId: device.value,
      authResult: auth.value.hex,
    };
    const authenticated = await this.call<TransactionDetails>(run, `${base}/authenticate`, body);
    if (authenticated.kind !== 'ok') return this.ended(run, authenticated);
    const details = authenticated.json;
    if (!validDetails(details))
      return this.final(run, 'Payment aborted', ['The payment server answered nonsense']);
    const headers = { authorization: `Bearer ${details.session}` };
    this.notifyTerminal(run, details);

    const agree = await ctx.confirm(
      [
        `Shop: ${details.merchantName}`,
        `Merchant ${details.merchantCode}`,
        ...itemLines(details.items, details.currency),
        `Total: ${formatAmount(details.total, details.currency)}`,
      ],
      { yes: 'Agree', no: 'Not agree' },
      'Payment details',
    );
    ctx.show({ title: 'Pay', lines: [agree ? 'Agreed' : 'Not agreed', 'Contacting the payment server...'] });
    const agreed = await this.call<AgreementAnswer>(run, `${base}/agreement`, { agree }, headers);
    if (agreed.kind !== 'ok') return this.ended(run, agreed);
    const answer = agreed.json;
    if (answer?.status === 'aborted') return this.aborted(run, answer.reason);
    if (answer?.status !== 'choose-method' || !Array.isArray(answer.methods)) {
      return this.final(run, 'Payment aborted', ['The payment server answered nonsense']);
    }
    const methods = answer.methods.filter((m): m is PaymentMethod => PAYMENT_METHODS.includes(m));
    if (methods.length === 0) return this.final(run, 'Payment aborted', ['No payment method is available']);
    const pick = await ctx.choose(
      'Payment method',
      methods.map((m) => PAYMENT_METHOD_NAMES[m]),
    );
    const choice: MethodChoice = { method: methods[pick]! };
    if (choice.method === 'I') choice.installments = await this.askInstallments(run);
    ctx.show({
      title: 'Pay',
      lines: [PAYMENT_METHOD_NAMES[choice.method], 'Waiting for the card issuer...'],
    });
    const paid = await this.call<PaymentOutcome>(run, `${base}/method`, choice, headers);
    if (paid.kind !== 'ok') return this.ended(run, paid);
    const outcome = paid.json;
    this.offerUserId(run, undefined);
    if (outcome?.status === 'completed') {
      return this.final(run, 'Payment completed', [
        'Payment has now been completed',
        `Approval code: ${String(outcome.approvalCode)}`,
        `Total: ${formatAmount(details.total, details.currency)}`,
        ...this.confirmationLines(run),
      ]);
    }
    if (outcome?.status === 'aborted') return this.aborted(run, outcome.reason);
    return this.final(run, 'Payment aborted', ['The payment server answered nonsense']);
  }

  private async askInstallments(run: Run): Promise<number> {
    for (;;) {
      const text = await run.ctx.ask('Number of installments', {
        title: 'Installments',
        numeric: true,
        maxLength: 2,
      });
      const n = Number(text);
      if (Number.isInteger(n) && n >= 2 && n <= MAX_INSTALLMENTS) return n;
      run.ctx.notify(`2 to ${MAX_INSTALLMENTS} installments`);
    }
  }

  private notifyTerminal(run: Run, d: TransactionDetails): void {
    const ble = run.ctx.ble;
    if (!ble || !run.ctx.active) return;
    try {
      const sent = ble.notifyTransaction({
        transactionId: d.transactionId,
        amountMinor: d.total,
        currency: d.currency,
      });
      if (!sent) run.ctx.log('BLE: no terminal subscribed to transaction notifications');
    } catch (err) {
      run.ctx.log(`BLE: transaction not notified: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The POS's Confirmation: shown and logged, never waited for (the gateway's answer decides). */
  private confirmation(run: Run, txn: string, c: BleConfirmation): void {
    if (c.transactionId !== txn || !run.ctx.active) return;
    run.confirmation = c;
    run.ctx.log(`terminal confirmation: ${c.result} ${c.transactionId}`);
    run.ctx.notify(`Terminal: ${c.result}`);
  }

  private confirmationLines(run: Run): string[] {
    return run.confirmation ? [`Terminal: ${run.confirmation.result}`] : [];
  }

  // ----- embodiment 2: the confirmation reply ---------------------------------------------------------

  private async reply(run: Run, launch: PaymentLaunch): Promise<void> {
    const { ctx } = run;
    const c = launch.mail.commands as ConfirmationRequestCommands;
    const go = await ctx.confirm(
      [
        `Shop: ${c.merchantName}`,
        ...itemLines(c.items, c.currency),
        `Total: ${formatAmount(c.total, c.currency)}`,
        `Reply by ${formatTime(Date.parse(c.replyBy))}`,
      ],
      { yes: 'Reply', no: 'Ignore' },
      'Confirm payment',
    );
    if (!go)
      return this.final(run, 'Not confirmed', ['No reply was sent.', 'The shop\u2019s request will lapse.']);
    const password = await ctx.ask('Password', { title: 'Password', masked: true, maxLength: 64 });
    ctx.show({ title: 'Pay', lines: ['Sending your reply...'] });
    const url = new URL(launch.mailbox);
    url.search = '';
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${encodeURIComponent(launch.mail.messageId)}/reply`;
    const r = await this.call<{ status?: unknown }>(run, url.href, { password });
    if (r.kind === 'failed') return this.final(run, 'Not confirmed', r.lines);
    if (r.kind === 'refused') {
      return this.final(run, 'Not confirmed', [reasonText(r.reason), `The gateway answered: ${r.error}`]);
    }
    const status = typeof r.json?.status === 'string' ? r.json.status : undefined;
    // The password was right but the gateway's card check ended it ([0157]): the user must not read "confirmed".
    if (status === 'rejected')
      return this.final(run, 'Not confirmed', [
        reasonText((r.json as { reason?: unknown }).reason),
        'The payment was not made.',
      ]);
    return this.final(run, 'Payment confirmed', [
      'Your reply was accepted',
      `Total: ${formatAmount(c.total, c.currency)}`,
      ...(status ? [`Gateway status: ${status}`] : []),
    ]);
  }

  // ----- calls and ends ---------------------------------------------------------------------------------

  private async call<T>(
    run: Run,
    url: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<CallResult<T>> {
    const https = run.ctx.https;
    if (!https)
      return { kind: 'failed', lines: ['Payment aborted \u2014 please start again', 'No mobile data'] };
    try {
      const r = await run.ctx.within(this.answerTimeoutMs, https.postJson<T>(url, body, { headers }));
      if (r.status >= 200 && r.status < 300) return { kind: 'ok', json: r.json };
      const e = (r.json ?? {}) as { error?: unknown; reason?: unknown };
      return {
        kind: 'refused',
        status: r.status,
        reason: e.reason,
        error: typeof e.error === 'string' ? e.error : `HTTP ${r.status}`,
      };
    } catch (err) {
      if (err instanceof DeadlineError) {
        return {
          kind: 'failed',
          lines: ['Payment aborted \u2014 please start again', 'The payment server did not answer in time.'],
        };
      }
      if (err instanceof HttpsError && err.code === 'bad-response') {
        return {
          kind: 'failed',
          lines: ['Payment aborted \u2014 please start again', 'The payment server answered nonsense.'],
        };
      }
      return {
        kind: 'failed',
        lines: [
          'Payment aborted \u2014 please start again',
          `Cannot reach the payment server (${describeError(err)})`,
        ],
      };
    }
  }

  private ended(run: Run, r: Exclude<CallResult<unknown>, { kind: 'ok' }>): Promise<void> | void {
    this.offerUserId(run, undefined);
    if (r.kind === 'failed') return this.final(run, 'Payment aborted', r.lines);
    if (r.reason === undefined)
      return this.final(run, 'Payment aborted', [`The payment server answered: ${r.error}`]);
    return this.aborted(run, r.reason);
  }

  private aborted(run: Run, reason: unknown): Promise<void> | void {
    this.offerUserId(run, undefined);
    if (reason === 'auth-expired' || reason === 'auth-invalid') {
      return this.askToAuthenticate(run, [reasonText(reason), 'The payment was aborted.']);
    }
    return this.final(run, 'Payment aborted', [reasonText(reason), ...this.confirmationLines(run)]);
  }

  /** An authentication the gateway will not take: say so and offer a fresh one (step 2 again). */
  private async askToAuthenticate(run: Run, lines: string[]): Promise<void> {
    const again = await run.ctx.confirm(
      [...lines, 'Please enter your user id and password again.'],
      { yes: 'Authenticate', no: 'Close' },
      'Authenticate again',
    );
    if (!again) {
      run.ctx.exit();
      return;
    }
    run.unsubscribe?.();
    run.unsubscribe = undefined;
    await this.authenticate(run);
  }

  private final(run: Run, title: string, lines: string[]): void {
    run.ctx.show({ title, lines, softKeys: { right: 'Close' } });
    run.closeOnKey = true;
  }
}

function validDetails(d: unknown): d is TransactionDetails {
  const x = d as Partial<TransactionDetails> | null;
  return (
    !!x &&
    typeof x.session === 'string' &&
    typeof x.transactionId === 'string' &&
    typeof x.merchantName === 'string' &&
    typeof x.merchantCode === 'string' &&
    typeof x.currency === 'string' &&
    Number.isSafeInteger(x.total) &&
    Array.isArray(x.items) &&
    x.items.every(
      (i) =>
        typeof i?.goods === 'string' && Number.isSafeInteger(i.quantity) && Number.isSafeInteger(i.unitPrice),
    )
  );
}

/** The card's status word in words. */
function cardProblem(sw: number, whenOk: string): string[] {
  if (isOk(sw)) return [whenOk];
  if (sw === 0x6982 || sw === 0x9804)
    return ['The SIM PIN has not been entered', 'Switch the phone off and on.'];
  if (sw === 0x6a82 || sw === 0x9404) return ['This SIM card has no payment application'];
  return [`Card error ${swText(sw)}`];
}

function describeError(err: unknown): string {
  if (err instanceof HttpsError) return err.code;
  if (err instanceof DeadlineError) return 'no answer in time';
  return err instanceof Error ? err.message : String(err);
}
