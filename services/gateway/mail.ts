/**
 * The direction server's mail (FLOWS seed 001 step 5; embodiment 2 step 2): commands for the phone's payment
 * application, signed so the phone can tell the mail comes from the gateway (see `Mail` in gateway-api.ts).
 */
import { createPrivateKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import {
  canonicalMailBody,
  type ConfirmationRequestCommands,
  type Mail,
  type MailKind,
  type PaymentRequestCommands,
} from '../../firmware-sim/payment/gateway-api.js';

export interface MailSigner {
  /** PEM private key. */
  key: string | Buffer;
  /** PEM certificate naming the gateway host. */
  cert: string | Buffer;
}

/** Each signer's key, parsed once: parsing an RSA key costs more than a signature with it. */
const keys = new WeakMap<MailSigner, { pem: string | Buffer; key: KeyObject }>();

function privateKeyOf(signer: MailSigner): KeyObject {
  let k = keys.get(signer);
  if (!k || k.pem !== signer.key) {
    k = { pem: signer.key, key: createPrivateKey(signer.key) };
    keys.set(signer, k);
  }
  return k.key;
}

/** What the gateway writes in a mail; the signature and certificate are added by signing. */
export interface MailFields {
  messageId: string;
  kind: MailKind;
  from: string;
  sentAt: string;
  commands: PaymentRequestCommands | ConfirmationRequestCommands;
}

/** The mail signed with the gateway's key, on libuv's thread pool (an RSA signature is the gateway's costliest step). */
export function signedMailAsync(signer: MailSigner, fields: MailFields): Promise<Mail> {
  const body = Buffer.from(canonicalMailBody(fields), 'utf8');
  return new Promise((resolve, reject) =>
    sign('sha256', body, privateKeyOf(signer), (err, signature) => {
      if (err) reject(err);
      else
        resolve({ ...fields, certificate: signer.cert.toString(), signature: signature.toString('base64') });
    }),
  );
}

/** True when the mail's signature checks against its own certificate (the chain is the phone's business). */
export function mailSignatureValid(mail: Mail): boolean {
  try {
    const cert = new X509Certificate(mail.certificate);
    return verify(
      'sha256',
      Buffer.from(canonicalMailBody(mail), 'utf8'),
      cert.publicKey,
      Buffer.from(mail.signature, 'base64'),
    );
  } catch {
    return false;
  }
}
