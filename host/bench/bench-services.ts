/**
 * What the network services of one bench share: the bench's certificate authority (made on first use and
 * kept in the bench's runtime folder, so a phone's trust store survives a restart of the bench), the
 * bench's DNS (service host names → loopback address:port, so the certificates can name
 * `gateway.benchtwin.test` whatever port it got), one calendar (epoch at clock zero) for every service and
 * phone, and an NSS key log when the bench captures, for Wireshark to decrypt the TLS links.
 */
import path from 'node:path';
import type { Clock } from '../../firmware-sim/clock.js';
import { CertificateAuthority, type ServerIdentity } from '../../services/ca/authority.js';
import { NssKeyLog } from '../../services/ca/keylog.js';

export class BenchServices {
  /** Host name → `127.0.0.1:<port>`; filled as services start, read at each connection. */
  readonly hosts: Record<string, string> = {};
  /**
   * Calendar time at clock zero. The wall time, on a virtual clock too: TLS peers check certificate
   * validity against the wall clock, and a virtual run only adds the time it jumped over.
   */
  readonly epochAtClockZero: number;
  readonly keyLog: NssKeyLog | undefined;
  private caValue: CertificateAuthority | undefined;
  private readonly identities = new Map<string, ServerIdentity>();

  constructor(private readonly o: { clock: Clock; runtimeDir: string; keyLogFile?: string | undefined }) {
    this.epochAtClockZero = Date.now() - o.clock.now();
    this.keyLog = o.keyLogFile ? new NssKeyLog(o.keyLogFile) : undefined;
  }

  /** The bench's CA (root + issuing), created on first use. */
  ca(): CertificateAuthority {
    this.caValue ??= CertificateAuthority.openOrCreate({
      dir: path.join(this.o.runtimeDir, 'ca'),
      clock: this.o.clock,
      epochAtClockZero: this.epochAtClockZero,
      names: { organizationName: 'benchtwin bench' },
    });
    return this.caValue;
  }

  /** PEM trust anchors for the bench's clients (phones, POS). */
  trustAnchors(): string {
    return this.ca().trustAnchors();
  }

  /** A server certificate for `hostName` (one per bench run; a restarted service keeps it). */
  serverIdentity(hostName: string): ServerIdentity {
    let id = this.identities.get(hostName);
    if (!id) {
      id = this.ca().issueServerCertificate({ commonName: hostName, dnsNames: [hostName] });
      this.identities.set(hostName, id);
    }
    return id;
  }

  /** Publishes a service's address in the bench's DNS. */
  register(hostName: string, port: number): void {
    this.hosts[hostName] = `127.0.0.1:${port}`;
  }

  /** The port a registered host name reaches. */
  portOf(hostName: string): number | undefined {
    const v = this.hosts[hostName];
    return v === undefined ? undefined : Number(v.slice(v.lastIndexOf(':') + 1));
  }

  close(): void {
    this.keyLog?.close();
  }
}
