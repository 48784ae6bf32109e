/**
 * A meter that replays a trace (monotonic clock time → signed per-phase currents) at a fixed telegram
 * cadence: the source for the demo and simulator, and a simple test double for the app. Like a real
 * meter it does not follow this app's wall clock: a wall-clock step neither skips nor repeats the trace.
 * Each telegram is a sample with new content (`seq` + 1, `timeMs` = wall time, for display).
 */
import type { Clock, TimerHandle } from '../../lib/clock';
import { BaseMeterSource } from '../../lib/meter/source';
import type { CurrentTrace } from '../emulators/homewizard';

export class ReplaySource extends BaseMeterSource {
  readonly kind = 'replay' as const;
  private timer: TimerHandle | undefined;

  constructor(clock: Clock, private readonly trace: CurrentTrace, readonly intervalMs = 1000) {
    super(clock);
  }

  protected begin(): void {
    this.tick();
  }

  protected end(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (!this.running) return;
    this.emit(this.trace(this.clock.monoMs()));
    this.timer = this.clock.setTimeout(() => this.tick(), this.intervalMs);
  }
}
