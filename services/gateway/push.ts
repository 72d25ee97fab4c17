/** How the direction server tells a phone that mail is waiting: a WAP Push Service Indication. */
export interface WapPushRequest {
  /** E.164 with '+'. */
  msisdn: string;
  /** The link the SI carries: the phone's mailbox. */
  href: string;
  /** The SI's text. */
  text: string;
  /** si-id: a repeat with the same id replaces the earlier indication on the phone. */
  siId?: string;
}

export interface PushSender {
  /** Resolves once the network took the message (SMSC's submit_sm_resp ESME_ROK); rejects otherwise. */
  sendWapPush(push: WapPushRequest): Promise<void>;
}
