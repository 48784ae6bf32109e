/**
 * Shared helpers of the balancer tests (balancer.test.ts, balancer.writes.test.ts, balancer.edgeCases.test.ts):
 * readers of BalancerOutput lists and one Rig scenario several topics start from.
 */
import assert from 'assert';
import type { BalancerOutput } from '../../../lib/balancer/types';
import { Rig } from './rig';

/** The limits commanded to one charger, in order (a pause reads as 0 A). */
export const limits = (outs: BalancerOutput[], id = 'a'): number[] =>
  outs.flatMap((o) => o.commands.filter((c) => c.chargerId === id)).map((c) => (c.type === 'pause' ? 0 : c.currentA));

/** The event types of every output, in order. */
export const types = (outs: BalancerOutput[]): string[] => outs.flatMap((o) => o.events.map((e) => e.type));

/** A charger the balancer paused, whose car then left; the house has room again and a new car connects now. */
export function pausedWhenTheCarLeft(): Rig {
  const r = new Rig();
  const c = r.add();
  r.house = [20, 0, 0];
  r.step(1);
  assert.strictEqual(r.limit(), 0);
  c.input.carConnected = false;
  r.house = [2, 0, 0];
  r.run(5);
  c.input.carConnected = true;
  return r;
}
