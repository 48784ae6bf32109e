/**
 * A meter that replays a trace (clock time → signed per-phase currents) at a fixed telegram
 * cadence: the source for the demo and simulator, and a simple test double for the app.
 */
import type { Clock, TimerHandle } from '../clock';
import { BaseMeterSource } from './source';
import type { CurrentTrace } from './homewizardEmulator';

export class ReplaySource extends BaseMeterSource {
  readonly kind = 'replay' as const;
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(clock: Clock, private readonly trace: CurrentTrace, readonly intervalMs = 1000) {
    super(clock);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (!this.running) return;
    const now = this.clock.nowMs();
    this.emit(this.trace(now), now);
    this.timer = this.clock.setTimeout(() => this.tick(), this.intervalMs);
  }
}
