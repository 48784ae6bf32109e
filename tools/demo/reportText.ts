/**
 * The demo report in words a Homey owner reads: what the main fuse went through with and without the
 * balancer, how much the cars charged against what was possible, and how busy the chargers were.
 * Every figure comes from the run (DemoResult); nothing here is a constant of this trace.
 */
import { CA_COMMAND_LATENCY_MS, type DemoEvent, type DemoResult } from './demo';
import { clockOf } from './reportChart';
import { secondsToTrip, type OverStretch } from './tally';

/** "1 s", "4 min 10 s", "23 min", "6 h 50 min". */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 600) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  return min % 60 ? `${Math.floor(min / 60)} h ${min % 60} min` : `${min / 60} h`;
}

export const kWh = (v: number): string => `${v.toFixed(1)} kWh`;
const amps = (v: number): string => `${Math.round(v * 10) / 10} A`;
const phase = (p: number): string => `L${p + 1}`;

function percent(share: number): string {
  const p = share * 100;
  if (p > 0 && p < 0.1) return 'less than 0.1 %';
  return `${p < 10 ? Math.round(p * 10) / 10 : Math.round(p)} %`;
}

function times(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;
}

function list(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** "L1, L2 and L3" from a charger's "L1 L2 L3". */
const phasesText = (phases: string): string => list(phases.split(/\s+/).filter(Boolean));

export interface SummaryPoint {
  key: 'fuse' | 'energy' | 'chargers';
  title: string;
  text: string;
  /** The text in paragraphs, where it has more than one (without and with the balancer). */
  paragraphs?: string[];
}

export interface Summary {
  headline: string;
  intro: string;
  points: SummaryPoint[];
  /** One sentence per time over the fuse with the balancer (the first few), and why it can happen. */
  spikes: string[];
  /** How the figures were made (small print). */
  method: string;
}

const BREAKER = 'the fastest circuit breaker the standard allows (type C, IEC 60898-1)';

/** What the balancer did about a stretch over the fuse: its events from a meter reading before to a second after. */
function actionsFor(r: DemoResult, st: OverStretch): string | null {
  const from = st.startS - r.meterIntervalS;
  const to = st.startS + st.durationS + 1;
  const verbs: Partial<Record<DemoEvent['type'], string>> = { reduced: 'cut', paused: 'paused' };
  const done = r.events
    .filter((e) => e.simS >= from && e.simS <= to && verbs[e.type])
    .map((e) => `${verbs[e.type]} ${e.chargerName ?? 'a charger'}`);
  return done.length ? `the balancer ${list([...new Set(done)])}` : null;
}

export function spikeSentence(r: DemoResult, st: OverStretch): string {
  const at = clockOf(r.startMs, st.startS, true);
  const load =
    st.houseA > st.houseBeforeA + 0.5
      ? `the house's own load on ${phase(st.phase)} jumped from ${amps(st.houseBeforeA)} to ${amps(st.houseA)} while the cars drew ${amps(st.carsA)} there`
      : `${phase(st.phase)} carried the house's ${amps(st.houseA)} and the cars' ${amps(st.carsA)}`;
  const ended = actionsFor(r, st);
  return `At ${at} ${load}: ${amps(st.peakA)} for ${duration(st.durationS)}${ended ? `, until ${ended}` : ''}.`;
}

function fusePoint(r: DemoResult): SummaryPoint {
  const { balanced: b, unbalanced: u } = r.fuse;
  const title =
    b.overS === 0
      ? `Main fuse: never over its ${r.fuseA} A rating${u.overS > 0 ? ` (without balancing: ${duration(u.overS)})` : ''}`
      : `Main fuse: over its rating for ${duration(b.overS)}${u.overS > 0 ? `, not ${duration(u.overS)}` : ''}`;
  const without: string[] = [];
  if (u.overS === 0) {
    without.push(`Even without balancing, the house and both cars at full current would have stayed under the ${r.fuseA} A main fuse in this run.`);
  } else {
    const whole = u.overS >= r.durationS ? ' — the whole time' : '';
    without.push(`Without balancing (both cars at full current) the ${r.fuseA} A main fuse would have been over its rating for ${duration(u.overS)}${whole}, with up to ${amps(u.peakA)} on ${phase(u.peakPhase)}.`);
    without.push(
      u.tripAtS !== null
        ? `${cap(BREAKER)} would have tripped after ${duration(u.tripAtS)}, at ${clockOf(r.startMs, u.tripAtS)}.`
        : `That is ${percent(u.tripStress)} of the way to tripping ${BREAKER}.`,
    );
  }
  const withIt: string[] = [];
  if (b.overS === 0) {
    withIt.push(`With PhaseGuard EV no phase went over ${r.fuseA} A; the highest was ${amps(b.peakA)} on ${phase(b.peakPhase)}.`);
  } else {
    const moments = b.stretchCount > 1 ? ` in ${b.stretchCount} moments, the longest ${duration(b.longestOverS)},` : '';
    withIt.push(`With PhaseGuard EV it was over for ${duration(b.overS)} in all,${moments} at most ${amps(b.peakA)} on ${phase(b.peakPhase)}.`);
    const needS = secondsToTrip(b.peakA, r.fuseA);
    const need = Number.isFinite(needS) ? `At ${amps(b.peakA)} that breaker needs about ${duration(needS >= 60 ? Math.round(needS / 60) * 60 : needS)} to trip; ` : '';
    withIt.push(
      b.tripStress < 1
        ? `${need}the overloads of the whole run add up to ${percent(b.tripStress)} of a trip — never long enough to trip it.`
        : `${need}the overloads add up to a full trip: such a breaker could have tripped.`,
    );
  }
  return { key: 'fuse', title, text: [...without, ...withIt].join(' '), paragraphs: [without.join(' '), withIt.join(' ')] };
}

const count = (n: number): string => ['no', 'one', 'two', 'three', 'four'][n] ?? String(n);
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function energyPoint(r: DemoResult): SummaryPoint {
  const share = r.possibleEnergyKWh > 0 ? r.energyKWh / r.possibleEnergyKWh : 1;
  const each = r.chargers.map((c) => `${c.name} ${kWh(c.energyKWh)}`);
  return {
    key: 'energy',
    title: `Charging: ${kWh(r.energyKWh)}, ${share >= 0.995 ? 'all' : percent(share)} of what the fuse left room for`,
    text:
      `The cars took ${kWh(r.energyKWh)} (${list(each)}). ` +
      `Charging at exactly what fitted under ${amps(r.fuseA - r.marginA)} every second — as if the house's next load were known in advance, which no real controller can — would have given ${kWh(r.possibleEnergyKWh)}; ` +
      `both cars at full current whatever the fuse, ${kWh(r.fullSpeedEnergyKWh)}.`,
  };
}

function chargersPoint(r: DemoResult): SummaryPoint {
  const writes = r.chargers.reduce((s, c) => s + c.writes, 0);
  const each = r.chargers.map((c) => {
    const paused = c.pauses ? `, paused ${times(c.pauses)} (${duration(c.pausedS)} in all)` : ', never paused';
    return `${c.name} (${c.phases.includes(' ') ? `3-phase car on ${phasesText(c.phases)}` : `1-phase car on ${c.phases}`}): ${c.writes === 0 ? 'no' : c.writes} command${c.writes === 1 ? '' : 's'}${paused}.`;
  });
  return {
    key: 'chargers',
    title: `The chargers: ${writes} command${writes === 1 ? '' : 's'} in ${duration(r.durationS)}`,
    text: `${each.join(' ')} A command is one change of current, a pause or a resume as the charger received it; a Charge Amps gets it through its cloud, about ${Math.round(CA_COMMAND_LATENCY_MS / 1000)} s from the app to the car, and until it confirms a cut the other chargers on its phase are cut to cover it.`,
  };
}

export function summarise(r: DemoResult): Summary {
  const cars = r.chargers.map((c) => c.name);
  const b = r.fuse.balanced;
  const spikes = b.stretches.slice(0, 3).map((st) => spikeSentence(r, st));
  if (b.stretchCount > spikes.length) spikes.push(`And ${b.stretchCount - spikes.length} more, listed in the charts below.`);
  if (b.stretchCount > 0) {
    spikes.push(
      `Why a moment over the fuse can happen: the meter gives a new reading every ${r.meterIntervalS} s, so a load switched on just after a reading shows only at the next one, and a charger needs a moment to follow a cut. ` +
        'Fuses and breakers allow for this: they trip on heat, which takes minutes at these currents.',
    );
  }
  return {
    headline: `What PhaseGuard EV did: ${duration(r.durationS)} of charging ${cars.length === 1 ? 'a car' : `${count(cars.length)} cars`} on a ${r.fuseA} A main fuse`,
    intro:
      `${cars.length === 1 ? 'One car' : `${cap(count(cars.length))} cars`} charged from ${clockOf(r.startMs, 0)} to ${clockOf(r.startMs, r.durationS)} (the demo's clock): ${list(cars)}, ` +
      `in a house whose own use is a real recording from a P1 smart meter. PhaseGuard EV's real controller did the balancing, talking HTTP to emulated chargers.`,
    points: [fusePoint(r), energyPoint(r), chargersPoint(r)],
    spikes,
    method:
      `Trace ${r.traceName}; ${duration(r.durationS)} simulated in ${(r.wallMs / 1000).toFixed(1)} s on a virtual clock. A meter reading every ${r.meterIntervalS} s in whole amps; ` +
      `margin ${amps(r.marginA)}, so the app keeps each phase at ${amps(r.fuseA - r.marginA)} or less. The fuse figures are taken at the meter every simulated second. ` +
      `Trip figures: ${BREAKER} (holds 1.13 × its rating for an hour, trips within 1 s at 2.55 ×), each second's share of its trip time summed over the worst hour.`,
  };
}

/** The terminal's summary after `npm start`: the same figures in a few lines. */
export function summaryLines(r: DemoResult): string[] {
  const s = summarise(r);
  const lines = [s.headline, ...s.points.map((p) => `- ${p.title}`)];
  for (const c of r.chargers) {
    lines.push(`  ${c.name} (${c.phases}): ${kWh(c.energyKWh)}, ${c.writes} commands, ${c.pauses} pauses`);
  }
  lines.push(`trace ${r.traceName}: ${duration(r.durationS)} simulated in ${(r.wallMs / 1000).toFixed(1)} s, main fuse ${r.fuseA} A, margin ${r.marginA} A, ${r.events.length} balancer events`);
  return lines;
}
