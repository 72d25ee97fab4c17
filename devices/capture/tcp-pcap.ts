/**
 * A pcapng of TCP conversations, for links whose bytes we hold but whose packets the kernel does (loopback
 * sockets): each conversation gets a synthesized three-way handshake, IPv4 + TCP headers with running
 * sequence and acknowledgement numbers and real checksums, and a FIN exchange, so Wireshark's TCP
 * reassembly and its application dissectors (iso8583 for the credit link) read the stream as captured.
 */
import { LINKTYPE_IPV4, PcapngWriter } from './pcapng.js';

export interface TcpEndpoint {
  address: string;
  port: number;
}

export type TcpSide = 'client' | 'server';

const FIN = 0x01;
const SYN = 0x02;
const PSH = 0x08;
const ACK = 0x10;
/** Bytes of payload per segment, as on an Ethernet path. */
const MSS = 1460;

/** An IPv4 address as four bytes; IPv4-mapped IPv6 is unwrapped, anything else becomes 127.0.0.1. */
function ipv4Bytes(address: string): number[] {
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  const parts = plain.split('.').map(Number);
  if (parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255)) return parts;
  return [127, 0, 0, 1];
}

function onesComplementSum(buf: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (buf.length % 2) sum += buf[buf.length - 1]! << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

/** An IPv4 packet carrying one TCP segment, both checksums filled in. */
export function tcpSegment(
  src: TcpEndpoint,
  dst: TcpEndpoint,
  seq: number,
  ack: number,
  flags: number,
  payload: Uint8Array,
  ipId: number,
): Buffer {
  const s = ipv4Bytes(src.address);
  const d = ipv4Bytes(dst.address);
  const tcp = Buffer.alloc(20 + payload.length);
  tcp.writeUInt16BE(src.port, 0);
  tcp.writeUInt16BE(dst.port, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(flags & ACK ? ack >>> 0 : 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  tcp.writeUInt16BE(0xffff, 14);
  tcp.set(payload, 20);
  const pseudo = Buffer.from([...s, ...d, 0, 6, tcp.length >> 8, tcp.length & 0xff]);
  tcp.writeUInt16BE(~onesComplementSum(tcp, onesComplementSum(pseudo)) & 0xffff, 16);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + tcp.length, 2);
  ip.writeUInt16BE(ipId & 0xffff, 4);
  ip.writeUInt16BE(0x4000, 6); // don't fragment
  ip[8] = 64;
  ip[9] = 6;
  ip.set(s, 12);
  ip.set(d, 16);
  ip.writeUInt16BE(~onesComplementSum(ip) & 0xffff, 10);
  return Buffer.concat([ip, tcp]);
}

export interface TcpCaptureOptions {
  /** Epoch milliseconds for packet time stamps; default the wall clock. */
  now?: () => number;
  description?: string;
}

/** One pcapng file holding any number of TCP conversations. */
export class TcpCapture {
  private readonly writer: PcapngWriter;
  private readonly iface: number;
  private readonly now: () => number;
  private ipId = 1;

  constructor(
    readonly file: string,
    options: TcpCaptureOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.writer = new PcapngWriter(file, { userAppl: 'benchtwin' });
    this.iface = this.writer.addInterface({
      linkType: LINKTYPE_IPV4,
      name: 'tcp',
      description: options.description ?? 'TCP conversations (synthesized headers)',
    });
  }

  /** Starts a conversation with its three-way handshake. */
  openStream(client: TcpEndpoint, server: TcpEndpoint): TcpStreamCapture {
    return new TcpStreamCapture(this, client, server);
  }

  get closed(): boolean {
    return this.writer.closed;
  }

  close(): void {
    this.writer.close();
  }

  /** @internal */
  emit(
    src: TcpEndpoint,
    dst: TcpEndpoint,
    seq: number,
    ack: number,
    flags: number,
    payload: Uint8Array,
  ): void {
    if (this.writer.closed) return;
    const packet = tcpSegment(src, dst, seq, ack, flags, payload, this.ipId++);
    this.writer.writePacket({
      interfaceId: this.iface,
      timestamp: BigInt(Math.round(this.now() * 1000)),
      data: packet,
    });
  }
}

export class TcpStreamCapture {
  /** Next sequence number each side sends. */
  private readonly next: Record<TcpSide, number>;
  private ended = false;

  constructor(
    private readonly capture: TcpCapture,
    private readonly client: TcpEndpoint,
    private readonly server: TcpEndpoint,
  ) {
    // Fixed initial sequence numbers keep captures reproducible.
    const clientIsn = 0x1000_0000;
    const serverIsn = 0x5000_0000;
    capture.emit(client, server, clientIsn, 0, SYN, new Uint8Array());
    capture.emit(server, client, serverIsn, clientIsn + 1, SYN | ACK, new Uint8Array());
    this.next = { client: clientIsn + 1, server: serverIsn + 1 };
    capture.emit(client, server, this.next.client, this.next.server, ACK, new Uint8Array());
  }

  private ends(from: TcpSide): [TcpEndpoint, TcpEndpoint, TcpSide] {
    return from === 'client' ? [this.client, this.server, 'server'] : [this.server, this.client, 'client'];
  }

  /** Bytes one side wrote, as segments of at most MSS bytes. */
  data(from: TcpSide, bytes: Uint8Array): void {
    if (this.ended || bytes.length === 0) return;
    const [src, dst, peer] = this.ends(from);
    for (let at = 0; at < bytes.length; at += MSS) {
      const chunk = bytes.subarray(at, Math.min(bytes.length, at + MSS));
      this.capture.emit(src, dst, this.next[from], this.next[peer], PSH | ACK, chunk);
      this.next[from] = (this.next[from] + chunk.length) >>> 0;
    }
  }

  /** One side closed: FIN, the peer's FIN, the last ACK. */
  end(from: TcpSide): void {
    if (this.ended) return;
    this.ended = true;
    const [src, dst, peer] = this.ends(from);
    this.capture.emit(src, dst, this.next[from], this.next[peer], FIN | ACK, new Uint8Array());
    this.next[from] = (this.next[from] + 1) >>> 0;
    this.capture.emit(dst, src, this.next[peer], this.next[from], FIN | ACK, new Uint8Array());
    this.next[peer] = (this.next[peer] + 1) >>> 0;
    this.capture.emit(src, dst, this.next[from], this.next[peer], ACK, new Uint8Array());
  }
}
