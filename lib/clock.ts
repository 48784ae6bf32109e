/**
 * Time source injected into everything in lib/ so that tests, the simulator and the soak run on a
 * virtual clock, and the app runs on the real one (or on Homey's timers through an adapter).
 */
export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds since the Unix epoch: wall time, for display and calendars. It may step (NTP, a user). */
  nowMs(): number;
  /**
   * A monotonic millisecond count (it never steps, whatever the wall clock does): for every age,
   * timeout and freshness decision. Its origin is arbitrary; it starts near `nowMs()`.
   */
  monoMs(): number;
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Resolves after delayMs on this clock. */
  sleep(delayMs: number): Promise<void>;
}

/** Where a SystemClock's timers come from: the Homey's (they stop with the app) or the process's. */
export interface TimerFunctions {
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

const PROCESS_TIMERS: TimerFunctions = {
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * The wall clock of the process. On a Homey the app hands in `homey.setTimeout`/`clearTimeout`, so every
 * timer of the runtime stops with the app; elsewhere (tools, tests) the process's timers.
 */
export class SystemClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, unknown>();
  private readonly monoOriginMs = Date.now() - performance.now();

  constructor(private readonly timerFns: TimerFunctions = PROCESS_TIMERS) {}

  nowMs(): number {
    return Date.now();
  }

  monoMs(): number {
    return this.monoOriginMs + performance.now();
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    const t = this.timerFns.setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, delayMs));
    this.timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t !== undefined) this.timerFns.clearTimeout(t);
    this.timers.delete(handle.id);
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }

  /** Number of timers still pending (used by leak checks). */
  pendingTimers(): number {
    return this.timers.size;
  }
}

/**
 * A virtual clock that only moves when told to. Timers fire in due order while advancing.
 * `advance` is async so that promise continuations scheduled by a timer run before the next one.
 * `jump` steps the wall clock only (an NTP fix): `monoMs` and the timers are not affected.
 */
export class ManualClock implements Clock {
  private now: number;
  private wallOffsetMs = 0;
  private nextId = 1;
  private timers: { id: number; dueMs: number; fn: () => void }[] = [];

  constructor(startMs = Date.UTC(2025, 0, 1)) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now + this.wallOffsetMs;
  }

  monoMs(): number {
    return this.now;
  }

  /** Step the wall clock by deltaMs (negative = back), as an NTP correction does. */
  jump(deltaMs: number): void {
    this.wallOffsetMs += deltaMs;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, dueMs: this.now + Math.max(0, delayMs), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, delayMs));
  }

  pendingTimers(): number {
    return this.timers.length;
  }

  /** Move time forward by deltaMs, firing every timer that falls due, in order. */
  async advance(deltaMs: number): Promise<void> {
    const target = this.now + Math.max(0, deltaMs);
    for (;;) {
      await flushMicrotasks();
      let next: { id: number; dueMs: number; fn: () => void } | undefined;
      for (const t of this.timers) if (t.dueMs <= target && (!next || t.dueMs < next.dueMs)) next = t;
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.now = Math.max(this.now, next.dueMs);
      next.fn();
    }
    this.now = target;
    await flushMicrotasks();
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
