/**
 * Live replay of a household trace as a meter on an injected clock, for the demo (`npm start`) and
 * soak tests: every `intervalS` of trace time it emits a meter sample (trace + whatever the chargers
 * draw now), stamped with the clock's time, so a real controller can be fed from it.
 *
 *   const r = replayTrace({ trace, clock, meter: { intervalS: 1 }, extraA: () => evDraw(), onSample });
 *   …
 *   r.stop();
 */
import type { Clock, TimerHandle } from '../../lib/clock';
import type { MeterSample, Triple } from '../../lib/balancer/types';
import type { MeterOptions } from './models';
import { TraceCursor, type Trace } from './trace';

export interface ReplayOptions {
  trace: Trace;
  clock: Clock;
  meter: MeterOptions;
  onSample(sample: MeterSample): void;
  /** Current to add per grid phase at each reading (A), e.g. what the (emulated) chargers draw. */
  extraA?: () => Triple<number>;
  /** Trace seconds per clock second (default 1; 60 = a minute of trace per second). */
  speed?: number;
  /** Start over at the end of the trace instead of stopping (default false). */
  loop?: boolean;
  /** Called once when a non-looping replay reaches the end. */
  onEnd?(): void;
}

export interface Replay {
  stop(): void;
  /** Trace time of the next reading (s). */
  readonly traceTimeS: number;
}

export function replayTrace(opts: ReplayOptions): Replay {
  const { trace, clock, meter } = opts;
  if (!(meter.intervalS > 0)) throw new Error('meter interval must be > 0 s');
  const speed = opts.speed ?? 1;
  const cursor = new TraceCursor(trace);
  let seq = 0;
  let traceTimeS = 0;
  let timer: TimerHandle | undefined;
  let stopped = false;

  const tick = (): void => {
    if (stopped) return;
    if (traceTimeS >= trace.durationS) {
      if (!opts.loop) {
        stopped = true;
        opts.onEnd?.();
        return;
      }
      traceTimeS = 0;
      cursor.reset();
    }
    const extra = opts.extraA?.() ?? [0, 0, 0];
    const base = cursor.at(traceTimeS);
    const currentsA = base.map((a, p) => {
      const v = a + extra[p];
      return meter.wholeAmps === false ? v : Math.round(v);
    }) as Triple<number>;
    opts.onSample({ timeMs: clock.nowMs(), seq: ++seq, currentsA });
    traceTimeS += meter.intervalS;
    timer = clock.setTimeout(tick, (meter.intervalS * 1000) / speed);
  };
  tick();

  return {
    stop(): void {
      stopped = true;
      clock.clearTimeout(timer);
    },
    get traceTimeS() {
      return traceTimeS;
    },
  };
}
