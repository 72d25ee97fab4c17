/**
 * What the bench's network services have in common (the credit server, the gateway): one process-like
 * service that listens on a fixed port once started, and the fault actions on it — `kill` (connections cut,
 * nothing in flight finished, as a SIGKILL would leave it; the state on disk is all that remains) and
 * `restart` (started again on the same database and port, finishing what it left under way).
 */
import type { Clock } from '../../firmware-sim/clock.js';
import {
  ActionError,
  DeviceEvents,
  type BenchDevice,
  type BenchEvent,
  type DeviceSummary,
} from './device.js';

export interface ServiceInstance {
  close(): Promise<void>;
}

export abstract class ServiceDevice<S extends ServiceInstance> implements BenchDevice {
  readonly actions: Record<string, (body: unknown) => Promise<unknown>>;
  protected readonly events: DeviceEvents;
  protected service: S | undefined;
  protected portValue = 0;
  /** Times the service was started (1 after the bench started). */
  protected starts = 0;

  constructor(
    readonly name: string,
    protected readonly transportText: string,
    protected readonly clock: Clock,
  ) {
    this.events = new DeviceEvents(name);
    this.actions = {
      kill: async () => {
        if (!this.service) throw new ActionError(`${this.name} is not running`, 409);
        await this.stop();
        this.events.emit('killed', {});
        return { running: false };
      },
      restart: async () => {
        await this.stop();
        await this.start(this.portValue);
        this.events.emit('restarted', { port: this.portValue });
        return { running: true, port: this.portValue };
      },
      start: async () => {
        if (this.service) throw new ActionError(`${this.name} is already running`, 409);
        await this.start(this.portValue);
        this.events.emit('restarted', { port: this.portValue });
        return { running: true, port: this.portValue };
      },
      ...this.extraActions(),
    };
  }

  protected extraActions(): Record<string, (body: unknown) => Promise<unknown>> {
    return {};
  }

  /** Starts the service on `port` (0: any) and returns the service and the port it got. */
  protected abstract launch(port: number): Promise<{ service: S; port: number }>;

  get running(): boolean {
    return this.service !== undefined;
  }

  get port(): number {
    return this.portValue;
  }

  async start(port: number): Promise<void> {
    const { service, port: bound } = await this.launch(port);
    this.service = service;
    this.portValue = bound;
    this.starts++;
  }

  protected async stop(): Promise<void> {
    const s = this.service;
    this.service = undefined;
    await s?.close();
  }

  abstract summary(): DeviceSummary;
  abstract state(): Record<string, unknown>;

  onEvent(listener: (event: BenchEvent) => void): void {
    this.events.on(listener);
  }

  async close(): Promise<void> {
    await this.stop();
  }
}
