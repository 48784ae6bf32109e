/**
 * A second evening for the widget's screenshots, run by the real balancer like the settings page's story
 * (liveFixture.ts runEvening): a 25 A fuse with 1 A margin, a 3-phase go-e on L1/L2/L3 and a 1-phase Charge Amps Halo on L3,
 * both charging for ten minutes while the household wobbles; on the last reading a kettle on L3 takes that phase past
 * the fuse and the balancer cuts at once: the Halo to what still fits on L3, the go-e to a pause (the Halo, a cloud
 * charger, still counts at its old current until its own reading shows the cut). So the widget shows a phase over the
 * fuse, a paused charger, and a car that still draws more than it is now allowed: both kinds of bar.
 */
import type { Triple } from '../../lib/balancer/types';
import type { LiveView } from '../../lib/webapi';
import type { FakeApp } from './harness';
import { eveningApp, runEvening } from './liveFixture';

const END_S = 600;

/** The household per phase (A) at second s; the kettle (7.5 A on L3) on the last reading. */
function houseA(s: number, last: boolean): Triple<number> {
  const wobble = (k: number) => Math.round(4 * Math.sin(s / 41 + k)) / 10;
  const kettle = last ? 7.5 : 0;
  return [3.1 + wobble(0), 4.6 + wobble(1), 3.0 + wobble(2) + kettle];
}

/** The live view after the kettle's reading (no events listed). */
export function kettleLive(): LiveView {
  return { ...runEvening(END_S, houseA, 0.6).live, events: [] };
}

/** The app of the kettle evening: the story's chargers and wiring, HomeWizard P1, the live view above. */
export function kettleApp(): FakeApp {
  return eveningApp(kettleLive());
}
