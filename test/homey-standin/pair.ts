/**
 * Pair and repair session stand-in. The driver side (`setHandler`, `emit`, `showView`, `nextView`, `prevView`, `done`)
 * follows @types/homey/lib/PairSession.d.ts; the test side plays the pair views: `call(event, data)` invokes a
 * handler the way `Homey.emit()` in a view does.
 */
import type { Device, Driver } from './classes';

type Handler = (data: any) => unknown;

export class PairSession {
  /** Stand-in inspection: everything the driver emitted to the views. */
  readonly emitted: Array<{ event: string; data: unknown }> = [];
  /** Stand-in inspection: navigation calls in order, e.g. 'showView:list_devices', 'nextView', 'done'. */
  readonly navigation: string[] = [];
  /** Stand-in inspection: true once done() was called or the session was closed. */
  closed = false;
  private readonly handlers = new Map<string, Handler>();
  private readonly viewResponders = new Map<string, (data: unknown) => unknown>();

  /** @internal onPair/onRepair in progress; call() waits for it. */
  __starting: Promise<unknown> = Promise.resolve();

  constructor(
    readonly driver: Driver,
    readonly device?: Device,
    private readonly adder?: (listed: unknown) => Promise<unknown>,
  ) {}

  // --- driver side ---
  setHandler(event: string, handler: Handler): this {
    if (typeof handler !== 'function') throw new Error(`PairSession.setHandler(${event}): handler must be a function`);
    this.handlers.set(event, handler);
    return this;
  }

  async emit(event: string, data?: unknown): Promise<unknown> {
    this.emitted.push({ event, data });
    const responder = this.viewResponders.get(event);
    return responder ? responder(data) : undefined;
  }

  async showView(viewId: string): Promise<void> {
    this.navigation.push(`showView:${viewId}`);
  }

  async nextView(): Promise<void> {
    this.navigation.push('nextView');
  }

  async prevView(): Promise<void> {
    this.navigation.push('prevView');
  }

  async done(): Promise<void> {
    this.navigation.push('done');
    this.closed = true;
  }

  // --- test side (the pair views) ---

  /** True when the driver registered a handler for this event. */
  hasHandler(event: string): boolean {
    return this.handlers.has(event);
  }

  /**
   * Invoke a handler like a pair view's `Homey.emit(event, data)`; resolves with its result, rejects with its error.
   * `list_devices` without a handler falls back to `driver.onPairListDevices()` like Homey's system view.
   */
  async call(event: string, data?: unknown): Promise<any> {
    await this.__starting;
    if (this.closed) throw new Error(`PairSession: ${event} called after the session was closed`);
    const handler = this.handlers.get(event);
    if (handler) return handler(data);
    if (event === 'list_devices' && !this.device) return this.driver.onPairListDevices();
    throw new Error(`PairSession: no handler for "${event}" (registered: ${[...this.handlers.keys()].join(', ') || 'none'})`);
  }

  /**
   * The add_devices view: add one entry of a list_devices result as a device (onInit, onAdded) and return it.
   * Not available in repair sessions.
   */
  async addDevice<V = Device>(listed: unknown): Promise<V> {
    await this.__starting;
    if (this.device || !this.adder) throw new Error('PairSession: devices cannot be added in a repair session');
    return (await this.adder(listed)) as V;
  }

  /** Answer the driver's `session.emit(event)` with this function's return value. */
  respondTo(event: string, fn: (data: unknown) => unknown): void {
    this.viewResponders.set(event, fn);
  }

  /** The user closes the pairing window: runs the 'disconnect' handler if any. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const handler = this.handlers.get('disconnect');
    if (handler) await handler(undefined);
  }
}
