/**
 * The base of the class stand-ins: Homey.SimpleClass, and how the harness hands `homey` (and device props) to a
 * constructor (`constructWith`), so subclass field initialisers can already use `this.homey` like on a real Homey.
 */
import { EventEmitter } from 'events';
import { formatWithOptions } from 'util';
import type { DeviceProps } from './device';
import type { StandinHomey } from './homey';

/** What the harness hands to the constructor of the class it instantiates. */
export interface Pending {
  homey: StandinHomey;
  driverId?: string;
  device?: DeviceProps;
}

let pending: Pending | undefined;

/** @internal the context of the constructor now running (undefined outside constructWith). */
export function constructing(): Pending | undefined {
  return pending;
}

/** Instantiate a stand-in class (or an app subclass) with its Homey context. */
export function constructWith<T>(Cls: new (...args: any[]) => T, ctx: Pending): T {
  pending = ctx;
  try {
    return new Cls();
  } finally {
    pending = undefined;
  }
}

/** JSON round trip, like Homey's persistence: catches values that cannot be stored (functions, cycles, class state). */
export function jsonClone<T>(value: T, what: string): T {
  if (value === undefined) return value;
  try {
    return JSON.parse(JSON.stringify(value)) as T;
  } catch (err) {
    throw new Error(`${what}: value cannot be stored as JSON (${(err as Error).message})`);
  }
}

export class SimpleClass extends EventEmitter {
  /** @internal */ protected readonly __homey?: StandinHomey;

  constructor(..._args: unknown[]) {
    super();
    this.__homey = pending?.homey;
    // Apps pass these around unbound (`promise.catch(this.error)`), which works on Homey.
    this.log = this.log.bind(this);
    this.error = this.error.bind(this);
  }

  /** Used to tag recorded log lines, e.g. `Driver:goe` or `Device:Garage`. */
  protected __logSource(): string {
    return this.constructor.name;
  }

  log(...args: unknown[]): void {
    this.__record('log', args);
  }

  error(...args: unknown[]): void {
    this.__record('error', args);
  }

  private __record(level: 'log' | 'error', args: unknown[]): void {
    const raw = formatWithOptions({ depth: 4, breakLength: Infinity }, ...args);
    if (this.__homey) this.__homey.recordLog(level, this.__logSource(), raw);
    else if (level === 'error') console.error(raw);
    else console.warn(raw);
  }
}

export function requireHomey(homey: StandinHomey | undefined, what: string): StandinHomey {
  if (!homey) throw new Error(`homey stand-in: construct ${what} through the harness (startApp/startDriver/addDevice)`);
  return homey;
}
