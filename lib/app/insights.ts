/**
 * The app's Insights: house current and headroom per phase (at most every 10 s), each charger's allowed current
 * (at every applied change and with the phases), and each balancer event as a yes/no log (yes, then no a second
 * later), so one chart shows how the house and the chargers moved; the capacity guard's period average, projection
 * and month peak (kW) once a minute. Logs are created on first use; a log that
 * cannot be created or written costs one error line, never an exception.
 *
 * Homey-free: Insights is anything with getLog/createLog (homey.insights); timers through `setTimeout`.
 */
import { GRID_PHASES, type BalancerEventType, type BalancerOutput, type GridPhase } from '../balancer/types';
import type { Clock } from '../clock';
import { describeError } from '../errors';

const PHASE_EVERY_MS = 10_000;
/** How long an event log stays "yes". */
const EVENT_MARK_MS = 1000;

export interface InsightsLogLike {
  createEntry(value: number | boolean): Promise<unknown>;
}

export interface InsightsLogOptions {
  title: { en: string };
  type: 'number' | 'boolean';
  units?: { en: string };
  decimals?: number;
}

export interface InsightsLike {
  getLog(id: string): Promise<InsightsLogLike>;
  createLog(id: string, options: InsightsLogOptions): Promise<InsightsLogLike>;
}

export interface AppInsightsOptions {
  insights: InsightsLike;
  clock: Clock;
  setTimeout: (fn: () => void, ms: number) => unknown;
  error: (line: string) => void;
}

type LogSpec = { title: string; units?: string; type?: 'number' | 'boolean' };

const EVENT_LOGS: Record<BalancerEventType, { id: string; title: string }> = {
  reduced: { id: 'event_reduced', title: 'Balancer lowered a charger' },
  restored: { id: 'event_restored', title: 'Balancer raised a charger' },
  paused: { id: 'event_paused', title: 'Balancer paused a charger' },
  resumed: { id: 'event_resumed', title: 'Balancer resumed a charger' },
  meterStale: { id: 'event_meter_stale', title: 'Meter data stale' },
  overloadUnresolved: { id: 'event_overload_unresolved', title: 'Overload not resolvable' },
};

/** The capacity guard's figures (kW), written once a minute. */
const CAPACITY_LOGS = {
  average: { id: 'capacity_average', title: 'Capacity: this period\'s average import' },
  projected: { id: 'capacity_projected', title: 'Capacity: projected period average' },
  peak: { id: 'capacity_month_peak', title: 'Capacity: this month\'s peak' },
} as const;

const phaseLogId = (phase: GridPhase, what: 'current' | 'headroom'): string => `phase_${phase.toLowerCase()}_${what}`;

/** The app's fixed logs: per phase the house current and the headroom, per event type a yes/no log. */
const LOGS: Record<string, LogSpec> = Object.fromEntries([
  ...GRID_PHASES.flatMap((p) => [
    [phaseLogId(p, 'current'), { title: `${p} house current`, units: 'A' }],
    [phaseLogId(p, 'headroom'), { title: `${p} headroom`, units: 'A' }],
  ]),
  ...Object.values(EVENT_LOGS).map(({ id, title }) => [id, { title, type: 'boolean' }]),
  ...Object.values(CAPACITY_LOGS).map(({ id, title }) => [id, { title, units: 'kW' }]),
]);

/** Insights log id for a charger (ids allow letters, digits and _). */
export const chargerLogId = (chargerId: string): string => `charger_${chargerId.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_allowed`;

export class AppInsights {
  private readonly logs = new Map<string, Promise<InsightsLogLike | null>>();
  private lastPhaseMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: AppInsightsOptions) {}

  /** A charger takes part: its "allowed current" log exists from now on. */
  chargerAttached(chargerId: string, name: string): void {
    void this.ensure(chargerLogId(chargerId), { title: `${name}: allowed current`, units: 'A' });
  }

  /** The controller applied a limit or a pause to a charger (a pause counts as 0 A). */
  applied(chargerId: string, limitA: number | null, paused: boolean | null): void {
    void this.write(chargerLogId(chargerId), paused ? 0 : limitA);
  }

  /** A charging plan's target and the energy delivered towards it (kWh), as two logs per charger (planned vs delivered). */
  planEnergy(chargerId: string, name: string, plannedKWh: number, deliveredKWh: number): void {
    const base = chargerLogId(chargerId).replace(/_allowed$/, '');
    void this.ensure(`${base}_plan_target`, { title: `${name}: plan target`, units: 'kWh' });
    void this.ensure(`${base}_plan_delivered`, { title: `${name}: plan delivered`, units: 'kWh' });
    void this.write(`${base}_plan_target`, plannedKWh);
    void this.write(`${base}_plan_delivered`, deliveredKWh);
  }

  /** A balancer event: its log says yes, and no again a second later. */
  event(type: BalancerEventType): Promise<void> {
    const { id } = EVENT_LOGS[type];
    this.opts.setTimeout(() => void this.write(id, false), EVENT_MARK_MS);
    return this.write(id, true);
  }

  /** A balancer step on a fresh sample: phases and the allowed current of `chargers` (at most every 10 s). */
  step(out: BalancerOutput, isCharger: (id: string) => boolean): void {
    const now = this.opts.clock.nowMs();
    if (now - this.lastPhaseMs < PHASE_EVERY_MS) return;
    this.lastPhaseMs = now;
    GRID_PHASES.forEach((phase, i) => {
      void this.write(phaseLogId(phase, 'current'), out.measuredA[i]);
      void this.write(phaseLogId(phase, 'headroom'), out.headroomA[i]);
    });
    for (const [id, allowedA] of Object.entries(out.allowedA)) {
      if (isCharger(id)) void this.write(chargerLogId(id), allowedA);
    }
  }

  /** The capacity guard's status (once a minute): the period's average so far, its projection, the month's peak. */
  capacity(s: { averageKW: number; projectedKW: number; monthPeaks: readonly { averageKW: number }[] }): void {
    void this.write(CAPACITY_LOGS.average.id, s.averageKW);
    void this.write(CAPACITY_LOGS.projected.id, s.projectedKW);
    if (s.monthPeaks.length > 0) void this.write(CAPACITY_LOGS.peak.id, Math.max(...s.monthPeaks.map((p) => p.averageKW)));
  }

  private ensure(id: string, spec?: LogSpec): Promise<InsightsLogLike | null> {
    let log = this.logs.get(id);
    if (!log) {
      const { title, units, type = 'number' } = LOGS[id] ?? spec ?? { title: id };
      const options: InsightsLogOptions = { title: { en: title }, type, ...(type === 'number' ? { units: { en: units ?? '' }, decimals: 1 } : {}) };
      log = this.opts.insights
        .getLog(id)
        .catch(() => this.opts.insights.createLog(id, options))
        .catch((err: unknown) => {
          this.opts.error(`insights log ${id}: ${describeError(err)}`);
          this.logs.delete(id);
          return null;
        });
      this.logs.set(id, log);
    }
    return log;
  }

  private async write(id: string, value: number | boolean | null): Promise<void> {
    if (value === null || (typeof value === 'number' && !Number.isFinite(value))) return;
    const log = await this.ensure(id);
    const entry = typeof value === 'number' ? Math.round(value * 10) / 10 : value;
    if (log) await log.createEntry(entry).catch((err: unknown) => this.opts.error(`insights ${id}: ${describeError(err)}`));
  }
}
