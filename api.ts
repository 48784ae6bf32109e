/**
 * The app's Web API for the settings page (routes in .homeycompose/app.json "api"). Each handler only
 * forwards to the app's `webApi` (lib/app/webApi.ts); any unexpected failure reaches the page as one
 * readable line, never a stack.
 */
import type { V2PairView } from './lib/app/homeWizardV2Pairing';
import type { CapacityStatus } from './lib/capacity/types';
import type { PlanView } from './lib/app/plan';
import { describeError } from './lib/errors';
import type { HomeWizardDiscoveryView, LiveView, MeterCandidate, SaveResult, SettingsView } from './lib/webapi';

/** What the app's `webApi` provides to this API (lib/app/webApi.ts). */
interface SettingsApi {
  getSettingsView(): SettingsView;
  saveSettings(body: unknown): Promise<SaveResult>;
  listMeters(): Promise<MeterCandidate[]>;
  listHomeWizardMeters(): HomeWizardDiscoveryView;
  pairHomeWizardV2(body: unknown): Promise<V2PairView>;
  getLiveView(): LiveView;
  getPlanView(): PlanView;
  getCapacityStatus(): CapacityStatus | null;
}

/** The app (app.ts): `webApi` once it has started. */
interface SettingsApiApp {
  webApi?: Partial<SettingsApi>;
  error?(...args: unknown[]): void;
}

interface ApiRequest {
  homey: { app: unknown };
  query?: Record<string, string>;
  params?: Record<string, string>;
  body?: unknown;
}

async function call<T>(homey: ApiRequest['homey'], what: string, method: keyof SettingsApi, run: (api: SettingsApi) => T | Promise<T>): Promise<T> {
  const app = homey.app as SettingsApiApp | undefined;
  const api = app?.webApi;
  if (!app || !api || typeof api[method] !== 'function') {
    throw new Error(`${what} failed: the app is still starting, try again in a moment`);
  }
  try {
    return await run(api as SettingsApi);
  } catch (err) {
    const line = `${what} failed: ${describeError(err)}`;
    if (typeof app.error === 'function') app.error(line);
    throw new Error(line);
  }
}

export = {
  /** GET /settings */
  async getSettings({ homey }: ApiRequest): Promise<SettingsView> {
    return call(homey, 'Loading the settings', 'getSettingsView', (api) => api.getSettingsView());
  },
  /** PUT /settings: the whole settings object; nothing is saved unless every field is valid. */
  async putSettings({ homey, body }: ApiRequest): Promise<SaveResult> {
    return call(homey, 'Saving the settings', 'saveSettings', (api) => api.saveSettings(body));
  },
  /** GET /meters */
  async getMeters({ homey }: ApiRequest): Promise<MeterCandidate[]> {
    return call(homey, 'Listing the meters', 'listMeters', (api) => api.listMeters());
  },
  /** GET /homewizard: HomeWizard meters found on the network (never fails for a missing discovery, see `error`). */
  async getHomeWizard({ homey }: ApiRequest): Promise<HomeWizardDiscoveryView> {
    return call(homey, 'Searching for HomeWizard meters', 'listHomeWizardMeters', (api) => api.listHomeWizardMeters());
  },
  /** POST /homewizard-v2/pair: `{ host, restart? }` → press the button / paired (the token never reaches the page). */
  async pairHomeWizardV2({ homey, body }: ApiRequest): Promise<V2PairView> {
    return call(homey, 'Pairing the HomeWizard meter', 'pairHomeWizardV2', (api) => api.pairHomeWizardV2(body));
  },
  /** GET /live */
  async getLive({ homey }: ApiRequest): Promise<LiveView> {
    return call(homey, 'Loading the live view', 'getLiveView', (api) => api.getLiveView());
  },
  /** GET /plan: the charging plan of each charger against the prices (settings/plan.js). */
  async getPlan({ homey }: ApiRequest): Promise<PlanView> {
    return call(homey, 'Loading the charging plan', 'getPlanView', (api) => api.getPlanView());
  },
  /** GET /capacity: the capacity guard's status (null before the app built it). */
  async getCapacity({ homey }: ApiRequest): Promise<CapacityStatus | null> {
    return call(homey, 'Loading the capacity status', 'getCapacityStatus', (api) => api.getCapacityStatus());
  },
};
