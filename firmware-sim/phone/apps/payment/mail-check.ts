/**
 * The phone's check of a gateway mail (FLOWS seed 001 step 5; `Mail` in payment/gateway-api.ts): it comes
 * from the gateway when its signature verifies under a certificate that chains to a CA of the handset's
 * trust store, is valid at the phone's calendar time and names the host of the UIM's gateway URL; and it
 * carries the expected commands for this application, pointing at that same host. Anything else is not a
 * payment request. Pure: the trust store, the host and the time are given; never throws.
 */
import { X509Certificate, verify } from 'node:crypto';
import { canonicalMailBody } from '../../../payment/gateway-api.js';
import type { LineItem, Mail } from '../../../payment/gateway-api.js';

export interface MailCheckOptions {
  /** PEM CA certificates the handset trusts. */
  trustedCas: readonly string[];
  /** Host name of the UIM's gateway URL (EF 6F02). */
  gatewayHost: string;
  /** The phone's calendar time, Unix ms. */
  nowMs: number;
}

export type MailCheck = { ok: true; mail: Mail } | { ok: false; reason: string };

/** Longest certificate path from the mail's certificate to a trusted CA. */
const MAX_CHAIN = 4;
const TRANSACTION_ID = /^[\x21-\x7e]{1,32}$/;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

const isString = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length <= max;
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Certificates seen lately, by PEM text: the same gateway and trust store come with every mail. */
const parsed = new Map<string, X509Certificate[]>();
const MAX_PARSED = 64;

/** The certificates of a PEM bundle (throws on a damaged one, which is not kept). */
function parseCertificates(pem: string): X509Certificate[] {
  const known = parsed.get(pem);
  if (known) return known;
  const out: X509Certificate[] = [];
  for (const block of pem.match(PEM_BLOCK) ?? []) out.push(new X509Certificate(block));
  if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
  parsed.set(pem, out);
  return out;
}

function validAt(c: X509Certificate, nowMs: number): boolean {
  const from = Date.parse(c.validFrom);
  const to = Date.parse(c.validTo);
  return Number.isFinite(from) && Number.isFinite(to) && from <= nowMs && nowMs <= to;
}

const issued = (child: X509Certificate, ca: X509Certificate): boolean =>
  ca.ca && child.checkIssued(ca) && child.verify(ca.publicKey);

/** Leaf → (bundled intermediates) → a trusted CA, every link's signature and validity checked. */
function chainReason(
  leaf: X509Certificate,
  bundle: X509Certificate[],
  o: MailCheckOptions,
): string | undefined {
  const anchors: X509Certificate[] = [];
  for (const pem of o.trustedCas) {
    try {
      anchors.push(...parseCertificates(pem));
    } catch {
      // An unreadable trust-store entry trusts nothing.
    }
  }
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const anchor = anchors.find((a) => issued(current, a));
    if (anchor) return validAt(anchor, o.nowMs) ? undefined : 'the trusted CA certificate is not valid now';
    const next = bundle.find((c) => c !== current && issued(current, c));
    if (!next) return 'certificate does not chain to a trusted CA';
    if (!validAt(next, o.nowMs)) return 'an intermediate CA certificate is not valid now';
    current = next;
  }
  return 'certificate chain too long';
}

function httpsUrlOnHost(value: unknown, host: string): boolean {
  if (!isString(value, 1024)) return false;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' && u.hostname === host.toLowerCase();
  } catch {
    return false;
  }
}

function isLineItem(v: unknown): v is LineItem {
  return (
    isRecord(v) &&
    isString(v['goods'], 256) &&
    [v['quantity'], v['unitPrice'], v['tax']].every((n) => Number.isSafeInteger(n) && (n as number) >= 0)
  );
}

function commandsReason(kind: Mail['kind'], c: Record<string, unknown>, host: string): string | undefined {
  if (c['application'] !== 'seed001-payment') return 'commands are not for the seed001-payment application';
  if (!isString(c['transactionId']) || !TRANSACTION_ID.test(c['transactionId']))
    return 'commands carry no valid transaction id';
  if (kind === 'payment-request') {
    if (c['action'] !== 'pay') return 'a payment request whose action is not "pay"';
    if (!httpsUrlOnHost(c['paymentServer'], host)) return `payment server is not an https URL on ${host}`;
    return undefined;
  }
  if (c['action'] !== 'confirm') return 'a confirmation request whose action is not "confirm"';
  if (!isString(c['merchantName'], 256)) return 'confirmation request without a merchant name';
  if (!Array.isArray(c['items']) || c['items'].length > 99 || !c['items'].every(isLineItem))
    return 'confirmation request with malformed items';
  if (!isString(c['currency']) || !/^[A-Z]{3}$/.test(c['currency'])) return 'currency is not ISO 4217';
  if (!Number.isSafeInteger(c['total']) || (c['total'] as number) < 0) return 'total is not an amount';
  if (!isString(c['replyBy'], 64) || !Number.isFinite(Date.parse(c['replyBy'])))
    return 'replyBy is not a time';
  return undefined;
}

export function checkMail(value: unknown, o: MailCheckOptions): MailCheck {
  const no = (reason: string): MailCheck => ({ ok: false, reason });
  try {
    if (!isRecord(value)) return no('not a mail object');
    const { messageId, kind, from, sentAt, commands, certificate, signature } = value;
    if (!isString(messageId, 128) || messageId.length === 0) return no('no message id');
    if (kind !== 'payment-request' && kind !== 'confirmation-request')
      return no(`unknown kind ${String(kind)}`);
    if (!isString(from, 256) || !isString(sentAt, 64)) return no('from / sentAt missing');
    if (!isRecord(commands)) return no('no commands');
    if (!isString(certificate, 65_536) || !isString(signature, 4096))
      return no('certificate / signature missing');

    let bundle: X509Certificate[];
    try {
      bundle = parseCertificates(certificate);
    } catch {
      return no('certificate is not a readable X.509 certificate');
    }
    const leaf = bundle[0];
    if (!leaf) return no('no certificate');
    if (leaf.ca) return no('the signing certificate is a CA certificate');
    if (!validAt(leaf, o.nowMs)) return no('certificate expired or not yet valid');
    const chain = chainReason(leaf, bundle, o);
    if (chain) return no(chain);
    if (leaf.checkHost(o.gatewayHost) === undefined) return no(`certificate does not name ${o.gatewayHost}`);

    const mail = { messageId, kind, from, sentAt, commands } as unknown as Pick<
      Mail,
      'messageId' | 'kind' | 'from' | 'sentAt' | 'commands'
    >;
    const signed = verify(
      'sha256',
      Buffer.from(canonicalMailBody(mail), 'utf8'),
      leaf.publicKey,
      Buffer.from(signature, 'base64'),
    );
    if (!signed) return no('signature does not verify');

    const commandsProblem = commandsReason(kind, commands, o.gatewayHost);
    if (commandsProblem) return no(commandsProblem);
    return {
      ok: true,
      mail: {
        ...mail,
        certificate,
        signature,
      },
    };
  } catch (err) {
    return no(`unreadable mail: ${err instanceof Error ? err.message : String(err)}`);
  }
}
