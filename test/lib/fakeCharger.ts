/**
 * A charger for controller and actuator tests: records every command, reports what it was told, and can
 * be told to fail (`fail`: true or a given error) or to hold its writes open until `release()`.
 */
import type { Charger, ChargerStatus, LatencyClass } from '../../lib/charger';
import { emptyPhases } from '../../lib/charger';
import { PeerError } from '../../lib/errors';

export class FakeCharger implements Charger {
  readonly brand = 'goe' as const;
  readonly minCurrentA = 6;
  readonly maxCurrentA = 32;
  calls: string[] = [];
  limitA = 16;
  paused = false;
  /** true: refuse like an unreachable charger; an error: throw that one. */
  fail: boolean | PeerError = false;
  /** While true, writes wait for `release()` before they act. */
  hold = false;
  drawA = 0;
  connected = true;
  private held: (() => void)[] = [];

  constructor(
    readonly id: string,
    readonly latencyClass: LatencyClass = 'local',
  ) {}

  status(overrides: Partial<ChargerStatus> = {}): ChargerStatus {
    const phases = emptyPhases();
    const draw = this.paused || !this.connected ? 0 : Math.min(this.drawA, this.limitA);
    for (const p of phases) p.currentA = draw;
    return {
      brand: 'goe', api: 'v2', id: this.id, name: this.id, firmware: '55', online: true,
      state: !this.connected ? 'idle' : draw > 0 ? 'charging' : 'connected',
      chargingAllowed: !this.paused, currentLimitA: this.limitA, phases, activePhases: draw > 0 ? 3 : 0,
      powerW: draw * 230 * 3, sessionEnergyWh: 0, totalEnergyWh: 0, temperatureC: 20, error: null, ...overrides,
    };
  }

  /** Let every held write act, in the order they were sent. */
  release(): void {
    const h = this.held;
    this.held = [];
    for (const r of h) r();
  }

  async getStatus(): Promise<ChargerStatus> {
    return this.status();
  }

  private async act(what: string, effect: () => void): Promise<void> {
    this.calls.push(what);
    if (this.fail instanceof PeerError) throw this.fail;
    if (this.fail) throw new PeerError('unreachable', `${this.id}: cannot connect (ECONNREFUSED)`);
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    effect();
  }

  setCurrentLimit(currentA: number): Promise<void> {
    return this.act(`set ${currentA}`, () => (this.limitA = currentA));
  }

  pause(): Promise<void> {
    return this.act('pause', () => (this.paused = true));
  }

  resume(): Promise<void> {
    return this.act('resume', () => (this.paused = false));
  }
}
