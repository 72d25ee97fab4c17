/**
 * Real TLS handshakes on loopback between Node's https server and client (OpenSSL underneath) with
 * certificates from the bench CA: trust in the root alone, forged, expired and misnamed certificates,
 * client certificates and their revocation through the CRL.
 */
import { once } from 'node:events';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../firmware-sim/clock.js';
import { CertificateAuthority, type ServerIdentity } from '../../../services/ca/authority.js';
import {
  clientTlsOptions,
  createHttpsServer,
  listenEphemeral,
  reloadServerTls,
  serverTlsOptions,
  verifiedClientCertificate,
  type ClientTlsSettings,
} from '../../../services/ca/tls.js';
import { makeCsr, tempDir } from './helpers.js';

const HOST = 'gateway.benchtwin.test';
const DAY = 86_400_000;

interface Outcome {
  status?: number;
  body?: string;
  error?: NodeJS.ErrnoException;
}

/** One HTTPS GET on a fresh connection (no agent: no session reuse between attempts). */
function get(port: number, settings: ClientTlsSettings, path = '/'): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = https.request(
      { host: '127.0.0.1', port, path, agent: false, ...clientTlsOptions(settings) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
        res.on('error', (error) => resolve({ error }));
      },
    );
    req.on('error', (error) => resolve({ error }));
    req.end();
  });
}

function hello(request: IncomingMessage, response: ServerResponse): void {
  const client = verifiedClientCertificate(request.socket as tls.TLSSocket);
  response.setHeader('content-type', 'text/plain');
  response.end(client ? `hello ${client.serialHex}` : 'hello');
}

describe('TLS on loopback with bench CA certificates (Node https, OpenSSL underneath)', () => {
  const tmp = tempDir();
  let ca: CertificateAuthority;
  let gateway: ServerIdentity;
  const servers: https.Server[] = [];

  const serve = async (server: https.Server): Promise<number> => {
    servers.push(server);
    return listenEphemeral(server);
  };

  beforeAll(() => {
    ca = CertificateAuthority.create({ dir: tmp.dir, clock: new VirtualClock() });
    gateway = ca.issueServerCertificate({ commonName: HOST, dnsNames: [HOST], ipAddresses: ['127.0.0.1'] });
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      s.close();
      await once(s, 'close');
    }
  });
  afterAll(() => tmp.remove());

  it('a client trusting only the root accepts the server certificate (chain sent by the server)', async () => {
    const port = await serve(createHttpsServer(gateway, hello));
    const r = await get(port, { ca: ca.trustAnchors(), servername: HOST });
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ status: 200, body: 'hello' });
  });

  it('a client that does not trust the bench root refuses the same server', async () => {
    const port = await serve(createHttpsServer(gateway, hello));
    const other = tempDir();
    try {
      const stranger = CertificateAuthority.create({ dir: other.dir, clock: new VirtualClock() });
      const r = await get(port, { ca: stranger.trustAnchors(), servername: HOST });
      expect(r.status).toBeUndefined();
      expect(r.error?.code).toMatch(/UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED/);
    } finally {
      other.remove();
    }
  });

  it('a forged certificate (same subject and issuer names, signed by another key, genuine chain) is refused', async () => {
    const other = tempDir();
    try {
      // Same CA names as the genuine one: only the keys differ.
      const forger = CertificateAuthority.create({ dir: other.dir, clock: new VirtualClock() });
      const forged = forger.issueServerCertificate({
        commonName: HOST,
        dnsNames: [HOST],
        ipAddresses: ['127.0.0.1'],
      });
      expect(forged.cert).not.toBe(gateway.cert);
      let handled = false;
      const port = await serve(
        createHttpsServer({ key: forged.key, cert: forged.cert, chain: ca.issuingCertificate() }, (q, s) => {
          handled = true;
          hello(q, s);
        }),
      );
      const r = await get(port, { ca: ca.trustAnchors(), servername: HOST });
      expect(r.status).toBeUndefined();
      expect(r.error?.code).toMatch(
        /CERT_SIGNATURE_FAILURE|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/,
      );
      expect(handled).toBe(false);
    } finally {
      other.remove();
    }
  });

  it('an expired certificate (issued on a clock set 30 days in the past, valid 1 day) is refused', async () => {
    const other = tempDir();
    try {
      const past = CertificateAuthority.create({
        dir: other.dir,
        clock: new VirtualClock(),
        epochAtClockZero: Date.now() - 30 * DAY,
      });
      const expired = past.issueServerCertificate({ commonName: HOST, dnsNames: [HOST], validityDays: 1 });
      const port = await serve(createHttpsServer(expired, hello));
      const r = await get(port, { ca: past.trustAnchors(), servername: HOST });
      expect(r.error?.code).toBe('CERT_HAS_EXPIRED');
      // The same CA's fresh certificate works: only the date was wrong.
      const fresh = past.issueServerCertificate({ commonName: HOST, dnsNames: [HOST], validityDays: 397 });
      const port2 = await serve(createHttpsServer(fresh, hello));
      expect(await get(port2, { ca: past.trustAnchors(), servername: HOST })).toMatchObject({ status: 200 });
    } finally {
      other.remove();
    }
  });

  it('a host-name mismatch is refused (the certificate names the gateway, the client wants an issuer)', async () => {
    const port = await serve(createHttpsServer(gateway, hello));
    const r = await get(port, { ca: ca.trustAnchors(), servername: 'issuer-0001.benchtwin.test' });
    expect(r.status).toBeUndefined();
    expect(r.error?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('client-certificate auth: accepted, refused without a certificate, refused after revocation with the CRL', async () => {
    const pos = makeCsr('pos-0001');
    const posCert = ca.signCsr(pos.csr, { profile: 'client' });
    const other = makeCsr('pos-0002');
    const otherCert = ca.signCsr(other.csr, { profile: 'client' });
    const policy = { requestClientCert: true, clientCa: ca.trustAnchors(), crl: ca.crls() };
    const server = createHttpsServer(gateway, hello, policy);
    const clientErrors: string[] = [];
    server.on('tlsClientError', (err: Error) => clientErrors.push(err.message));
    const port = await serve(server);
    const base = { ca: ca.trustAnchors(), servername: HOST };
    const asPos = { ...base, key: pos.key, cert: posCert.cert, chain: posCert.chain };

    expect(await get(port, asPos)).toMatchObject({ status: 200, body: `hello ${posCert.serialHex}` });
    expect((await get(port, base)).status).toBeUndefined();
    expect(clientErrors.join('\n')).toMatch(/peer did not return a certificate|certificate required/i);

    ca.revoke(posCert.serialHex, 'keyCompromise');
    reloadServerTls(server, gateway, { ...policy, crl: ca.crls() });
    clientErrors.length = 0;
    const refused = await get(port, asPos);
    expect(refused.status).toBeUndefined();
    expect(refused.error).toBeDefined();
    // Node drops a refused client after the handshake without saying why; the same settings with
    // rejection turned off show OpenSSL's verdict on that certificate.
    const probe = https.createServer(
      { ...serverTlsOptions(gateway, { ...policy, crl: ca.crls() }), rejectUnauthorized: false },
      (q, s) => s.end(String((q.socket as tls.TLSSocket).authorizationError)),
    );
    const probePort = await serve(probe);
    expect(await get(probePort, asPos)).toMatchObject({ status: 200, body: 'CERT_REVOKED' });
    // The CRL names one certificate: the other terminal still gets in.
    const asOther = { ...base, key: other.key, cert: otherCert.cert, chain: otherCert.chain };
    expect(await get(port, asOther)).toMatchObject({ status: 200, body: `hello ${otherCert.serialHex}` });
  });

  it("Node checks CRLs at every level: with the issuing CA's CRL alone, every client certificate fails (crls() gives both)", async () => {
    const pos = makeCsr('pos-0003');
    const posCert = ca.signCsr(pos.csr, { profile: 'client' });
    const asPos = {
      ca: ca.trustAnchors(),
      servername: HOST,
      key: pos.key,
      cert: posCert.cert,
      chain: posCert.chain,
    };
    const probe = (crl: string[]): https.Server =>
      https.createServer(
        {
          ...serverTlsOptions(gateway, { requestClientCert: true, clientCa: ca.trustAnchors(), crl }),
          rejectUnauthorized: false,
        },
        (q, s) => s.end(String((q.socket as tls.TLSSocket).authorizationError ?? 'authorized')),
      );
    expect(await get(await serve(probe([ca.crl()])), asPos)).toMatchObject({ body: 'UNABLE_TO_GET_CRL' });
    expect(await get(await serve(probe(ca.crls())), asPos)).toMatchObject({ body: 'authorized' });
  });

  it('a client given the CRLs refuses a revoked server certificate', async () => {
    const revokedServer = ca.issueServerCertificate({ commonName: HOST, dnsNames: [HOST] });
    const port = await serve(createHttpsServer(revokedServer, hello));
    expect(await get(port, { ca: ca.trustAnchors(), servername: HOST, crl: ca.crls() })).toMatchObject({
      status: 200,
    });
    ca.revoke(revokedServer.serialHex, 'superseded');
    const r = await get(port, { ca: ca.trustAnchors(), servername: HOST, crl: ca.crls() });
    expect(r.error?.code).toBe('CERT_REVOKED');
  });
});
