/** Test rig for the policy tests: runs a named policy through the simulator and logs its commands with their times. */
import { carGridPhases } from '../../../tools/sim/models';
import { createPolicy, type Policy, type PolicyName } from '../../../tools/sim/policies';
import { runPolicy, type RunOutput, type Scenario } from '../../../tools/sim/simulate';
import { parseTraceCsv } from '../../../tools/sim/trace';
import type { BalancerCommand, ChargerInput, MeterSample, Triple } from '../../../lib/balancer/types';
import { chargerInput } from '../../lib/balancer/rig';

/** A trace from `time,l1,l2,l3` rows. */
export const trace = (rows: string[]): Scenario['trace'] => parseTraceCsv(`time,l1,l2,l3\n${rows.join('\n')}\n`, 't.csv');

export interface Logged {
  t: number;
  type: BalancerCommand['type'];
  a?: number;
}

/** Run `name` over `scenario`; `log` holds every command it gave, by simulated second. */
export function runLogged(name: PolicyName, scenario: Scenario): RunOutput & { log: Logged[]; policy: Policy } {
  const policy = createPolicy(name, { fuseA: scenario.fuseA, marginA: scenario.marginA, carGridPhases: carGridPhases(scenario.car) });
  const log: Logged[] = [];
  const wrapped: Policy = {
    name: policy.name,
    step: (input) => {
      const cmds = policy.step(input);
      for (const c of cmds) log.push({ t: input.nowMs / 1000, type: c.type, ...(c.type === 'pause' ? {} : { a: c.currentA }) });
      return cmds;
    },
  };
  return { ...runPolicy(scenario, wrapped, { record: true }), log, policy };
}

/** A 3-phase charger as the simulator describes it (the balancer rig's, named EV), with overrides. */
export const charger = (over: Partial<ChargerInput> = {}): ChargerInput => chargerInput({ id: 'ev', name: 'EV', ...over });

/** A fresh meter reading at second `t`. */
export function reading(t: number, currentsA: Triple<number>): MeterSample {
  return { timeMs: t * 1000, seq: t + 1, currentsA };
}
