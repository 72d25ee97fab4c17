/**
 * The direction server's mail (FLOWS seed 001 step 5; embodiment 2 step 2): commands for the phone's payment
 * application, signed so the phone can tell the mail comes from the gateway (see `Mail` in gateway-api.ts).
 */
import { sign, verify, X509Certificate, type KeyLike } from 'node:crypto';
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

export function signedMail(
  signer: MailSigner,
  fields: {
    messageId: string;
    kind: MailKind;
    from: string;
    sentAt: string;
    commands: PaymentRequestCommands | ConfirmationRequestCommands;
  },
): Mail {
  const signature = sign('sha256', Buffer.from(canonicalMailBody(fields), 'utf8'), signer.key as KeyLike);
  return { ...fields, certificate: signer.cert.toString(), signature: signature.toString('base64') };
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
