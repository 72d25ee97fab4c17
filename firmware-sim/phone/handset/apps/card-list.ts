/**
 * A small application for the slot: the list of credit cards registered in the UIM's payment application
 * (DF 7F50, EF 6F03 "users": user id ‖ label per card, docs/UIM.md). Picking a card shows its user id;
 * Back returns to the list, Back on the list leaves. The seed-001 payment application starts with the
 * same list (FLOWS seed 001 step 2).
 */
import { DF_PAYMENT, PaymentFile, USER_RECORD_LENGTH, decodePaymentUser } from '../../../uim/payment.js';
import type { PaymentUser } from '../../../uim/payment.js';
import type { UimAccess } from '../../uim-access.js';
import { isOk } from '../../uim-access.js';
import { PromptCancelledError } from '../dialogs.js';
import type { ApplicationContext, PhoneApplication } from '../handset.js';
import type { Key } from '../keys.js';

/** Records of EF 6F03 in order, empty ones skipped; the status word that ended the read otherwise. */
export function readPaymentUsers(uim: UimAccess): { users: PaymentUser[]; sw: number } {
  const sel = uim.selectPath([DF_PAYMENT, PaymentFile.USERS]);
  if (!isOk(sel.sw)) return { users: [], sw: sel.sw };
  const users: PaymentUser[] = [];
  // Linear fixed, at most 254 records (ISO 7816-4 record numbers 01–FE); stop at "record not found".
  for (let n = 1; n <= 254; n++) {
    const r = uim.apdu(0xb2, n, 0x04, undefined, USER_RECORD_LENGTH);
    if (!isOk(r.sw)) return n === 1 ? { users, sw: r.sw } : { users, sw: 0x9000 };
    const u = decodePaymentUser(r.data);
    if (u.ok && u.value) users.push(u.value);
  }
  return { users, sw: 0x9000 };
}

export class CardListApp implements PhoneApplication {
  readonly id = 'card-list';
  readonly title = 'Card list';
  private ctx: ApplicationContext | undefined;
  private detail = false;

  async start(ctx: ApplicationContext): Promise<void> {
    this.ctx = ctx;
    if (!ctx.uim) {
      ctx.show({ title: this.title, lines: ['No SIM'], softKeys: { right: 'Back' } });
      this.detail = true;
      return;
    }
    const { users, sw } = readPaymentUsers(ctx.uim);
    if (users.length === 0) {
      const why = isOk(sw) ? 'No cards registered' : `Card error ${sw.toString(16).toUpperCase()}`;
      ctx.show({ title: this.title, lines: [why], softKeys: { right: 'Back' } });
      this.detail = true;
      return;
    }
    await this.list(ctx, users);
  }

  private async list(ctx: ApplicationContext, users: PaymentUser[]): Promise<void> {
    for (;;) {
      let index: number;
      try {
        index = await ctx.choose(
          this.title,
          users.map((u) => u.label || u.userId),
        );
      } catch (err) {
        if (err instanceof PromptCancelledError && ctx.active) ctx.exit();
        return;
      }
      const user = users[index]!;
      const back = await ctx.confirm([user.label, `User id: ${user.userId}`], { yes: 'Back', no: 'Exit' });
      if (!back) {
        ctx.exit();
        return;
      }
    }
  }

  onKey(key: Key): void {
    if (this.detail && (key === 'back' || key === 'soft-right')) this.ctx?.exit();
  }

  stop(): void {
    this.ctx = undefined;
    this.detail = false;
  }
}
