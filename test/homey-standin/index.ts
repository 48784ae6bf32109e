/**
 * Homey Apps SDK v3 stand-in for tests. test/setup.ts maps `require('homey')` here, so app code's
 * `import Homey from 'homey'` gets these classes; tests import the harness from this file too.
 * See README.md in this folder.
 */
import { App, Device, Driver, SimpleClass } from './classes';
import {
  FlowArgument, FlowCard, FlowCardAction, FlowCardCondition, FlowCardTrigger, FlowCardTriggerDevice, FlowToken,
} from './flow';
import { InsightsLog } from './homey';

/** Module-level `Homey.env` / `Homey.manifest` of the SDK (per-homey values live on `this.homey`). */
export const env: Record<string, string> = {};
export const manifest: Record<string, unknown> = {};

export {
  App, Device, Driver, SimpleClass,
  FlowArgument, FlowCard, FlowCardAction, FlowCardCondition, FlowCardTrigger, FlowCardTriggerDevice, FlowToken,
  InsightsLog,
};

const Homey = {
  App, Device, Driver, SimpleClass,
  FlowArgument, FlowCard, FlowCardAction, FlowCardCondition, FlowCardTrigger, FlowCardTriggerDevice, FlowToken,
  InsightsLog, env, manifest,
};
export default Homey;

export * from './harness';
export { StandinHomey } from './homey';
export type { CreateHomeyOptions, LogEntry, InsightsEntry } from './homey';
export { PairSession } from './pair';
export type { MdnsAnnouncement } from './discovery';
export type { TriggerRecord, UserFlow } from './flow';
