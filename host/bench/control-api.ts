/**
 * The control API of a running bench: HTTP + WebSocket on loopback only. The CLI, the dashboard and tests
 * use it to list devices, act as the user (scan, press keys), inject faults and follow events.
 *
 *   GET  /                       bench name and links
 *   GET  /devices                every device with its endpoint
 *   GET  /devices/<name>         one device with its state
 *   POST /devices/<name>/<act>   an action (scan, present, trigger, faults, unplug, replug, power-cycle, keys…)
 *   GET  /devices/<name>/<view>  a view of the device (a phone's screen: JSON, or ?format=png)
 *   GET  /events                 WebSocket upgrade: one JSON event per message (recent history first)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ActionError, type BenchDevice, type BenchEvent } from './device.js';

const MAX_BODY = 1 << 20;
const HISTORY = 200;

export interface ControlApiOptions {
  benchName: string;
  devices: ReadonlyMap<string, BenchDevice>;
  port?: number;
}

export class ControlApi {
  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly history: BenchEvent[] = [];
  private baseUrl = '';

  constructor(private readonly options: ControlApiOptions) {
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => this.reply(res, 500, { error: String(err) }));
    });
    this.server.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/events') {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws));
    });
    for (const device of options.devices.values()) device.onEvent((e) => this.publish(e));
  }

  /** Listens on 127.0.0.1; returns the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  get url(): string {
    return this.baseUrl;
  }

  deviceUrl(name: string): string {
    return `${this.baseUrl}/devices/${encodeURIComponent(name)}`;
  }

  publish(event: BenchEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.shift();
    const text = JSON.stringify(event);
    for (const ws of this.wss.clients) if (ws.readyState === ws.OPEN) ws.send(text);
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private attach(ws: WebSocket): void {
    for (const e of this.history) ws.send(JSON.stringify(e));
    ws.on('error', () => ws.terminate());
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return this.reply(res, 400, { error: `malformed percent-encoding in ${url.pathname}` });
    }
    const method = req.method ?? 'GET';
    const devices = this.options.devices;

    if (parts.length === 0 && method === 'GET') {
      return this.reply(res, 200, {
        bench: this.options.benchName,
        devices: `${this.baseUrl}/devices`,
        events: `${this.baseUrl.replace(/^http/, 'ws')}/events`,
      });
    }
    if (parts[0] !== 'devices') return this.reply(res, 404, { error: `no resource ${url.pathname}` });
    if (parts.length === 1 && method === 'GET') {
      return this.reply(res, 200, {
        devices: [...devices.entries()].map(([name, d]) => ({
          ...d.summary(),
          control: this.deviceUrl(name),
        })),
      });
    }
    const device = devices.get(parts[1] ?? '');
    if (!device)
      return this.reply(res, 404, {
        error: `no device "${parts[1]}"; devices: ${[...devices.keys()].join(', ')}`,
      });
    if (parts.length === 2) {
      if (method !== 'GET') return this.reply(res, 405, { error: 'use GET' });
      return this.reply(res, 200, {
        ...device.summary(),
        control: this.deviceUrl(parts[1]!),
        state: device.state(),
      });
    }
    if (parts.length !== 3) return this.reply(res, 404, { error: `no resource ${url.pathname}` });
    const view = device.views?.[parts[2]!];
    if (view && method === 'GET') {
      let v;
      try {
        v = await view(url.searchParams.get('format'));
      } catch (err) {
        if (err instanceof ActionError) return this.reply(res, err.status, { error: err.message });
        throw err;
      }
      res.writeHead(200, { 'content-type': v.contentType });
      res.end(v.body);
      return;
    }
    const action = device.actions[parts[2]!];
    if (!action) {
      return this.reply(res, 404, {
        error: `no action "${parts[2]}"; actions: ${Object.keys(device.actions).join(', ')}`,
      });
    }
    if (method !== 'POST') return this.reply(res, 405, { error: 'use POST' });
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      return this.reply(res, 400, { error: (err as Error).message });
    }
    try {
      return this.reply(res, 200, (await action(body)) ?? { ok: true });
    } catch (err) {
      if (err instanceof ActionError) return this.reply(res, err.status, { error: err.message });
      throw err;
    }
  }

  private reply(res: http.ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body) + '\n');
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error(`request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error('request body is not valid JSON');
  }
}
