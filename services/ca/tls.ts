/**
 * TLS options for the bench's services and their clients: certificates from the bench CA, TLS 1.2 at
 * least, peers checked against the CA's root (and its CRLs for client certificates).
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { NssKeyLog } from './keylog.js';
import { normalizeSerialHex } from './x509.js';

export { NssKeyLog };

/** A private key (PEM) with its certificate and the intermediate certificates a peer needs. */
export interface TlsIdentity {
  key: string;
  cert: string;
  chain?: string;
}

export interface ServerTlsPolicy {
  /** Ask every client for a certificate and refuse the handshake without a valid, unrevoked one. */
  requestClientCert?: boolean;
  /** Trust anchors for client certificates (the CA's trustAnchors()); needed with requestClientCert. */
  clientCa?: string | string[];
  /**
   * CRLs (PEM) checked on client certificates. Node then checks every level of the chain, so pass the CA's
   * crls() (issuing and root), not only crl().
   */
  crl?: string | string[];
  /** Default TLSv1.2. */
  minVersion?: tls.SecureVersion;
}

export interface ClientTlsSettings {
  /** Trust anchors (the CA's trustAnchors()): the only certificates the client trusts. */
  ca: string | string[];
  /** The host name the server's certificate must name (also sent as SNI). */
  servername: string;
  /** A client certificate (with `key`), for services that ask for one. */
  cert?: string;
  key?: string;
  /** Intermediates sent after `cert` (the CA's issuing certificate). */
  chain?: string;
  /** CRLs to check the server's chain against (all levels: the CA's crls()). */
  crl?: string | string[];
  /** Default TLSv1.2. */
  minVersion?: tls.SecureVersion;
}

function certificateChain(cert: string, chain: string | undefined): string {
  if (!chain) return cert;
  return cert.endsWith('\n') ? cert + chain : `${cert}\n${chain}`;
}

/** Options for tls.createServer / https.createServer (also accepted by server.setSecureContext). */
export function serverTlsOptions(identity: TlsIdentity, policy: ServerTlsPolicy = {}): tls.TlsOptions {
  const options: tls.TlsOptions = {
    key: identity.key,
    cert: certificateChain(identity.cert, identity.chain),
    minVersion: policy.minVersion ?? 'TLSv1.2',
  };
  if (policy.requestClientCert) {
    if (!policy.clientCa)
      throw new TypeError('requestClientCert needs clientCa: the trust anchors for client certificates');
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  if (policy.clientCa) options.ca = policy.clientCa;
  if (policy.crl) options.crl = policy.crl;
  return options;
}

/** Options for tls.connect / https.request: the server must chain to `ca` and name `servername`. */
export function clientTlsOptions(settings: ClientTlsSettings): tls.ConnectionOptions {
  const options: tls.ConnectionOptions = {
    ca: settings.ca,
    servername: settings.servername,
    rejectUnauthorized: true,
    minVersion: settings.minVersion ?? 'TLSv1.2',
  };
  if (settings.cert !== undefined || settings.key !== undefined) {
    if (settings.cert === undefined || settings.key === undefined) {
      throw new TypeError('a client certificate needs both cert and key');
    }
    options.cert = certificateChain(settings.cert, settings.chain);
    options.key = settings.key;
  }
  if (settings.crl) options.crl = settings.crl;
  return options;
}

export interface HttpsServerOptions extends ServerTlsPolicy {
  /** Appends the secrets of every accepted connection (NSS key log format, for Wireshark). */
  keyLog?: NssKeyLog;
}

/** An HTTPS server with the bench's TLS settings; listen on it yourself (see listenEphemeral). */
export function createHttpsServer(
  identity: TlsIdentity,
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  options: HttpsServerOptions = {},
): https.Server {
  const server = https.createServer(serverTlsOptions(identity, options), handler);
  options.keyLog?.attachServer(server);
  return server;
}

/**
 * Replaces a running server's certificates and CRLs (after a revocation, a renewal); connections already
 * open keep theirs. Client-certificate requirements are fixed when the server is made.
 */
export function reloadServerTls(
  server: tls.Server,
  identity: TlsIdentity,
  policy: ServerTlsPolicy = {},
): void {
  server.setSecureContext(serverTlsOptions(identity, policy));
}

/** Listens on an ephemeral port (loopback unless told) and returns the bound port. */
export function listenEphemeral(server: tls.Server, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The verified client certificate of a connection (serial as lower-case hex), or undefined. */
export function verifiedClientCertificate(
  socket: tls.TLSSocket,
): { serialHex: string; subject: Record<string, string | string[] | undefined> } | undefined {
  if (!socket.authorized) return undefined;
  const peer = socket.getPeerCertificate();
  if (!peer || !peer.serialNumber) return undefined;
  return {
    serialHex: normalizeSerialHex(peer.serialNumber) ?? peer.serialNumber.toLowerCase(),
    subject: { ...peer.subject },
  };
}
