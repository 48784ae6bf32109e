/**
 * Prices from Power by the Hour (com.gruijter.powerhour, v8.10.0 and later) through Homey's inter-app API, with the
 * manifest permission `homey:app:com.gruijter.powerhour`: `GET /dap-prices` (every future price slot of each of its
 * day-ahead price devices) once at start and when the app is installed, and its realtime push
 * `dap-prices-updated` when new prices were fetched (its `period-changed` pushes every slot bring nothing new).
 * The answer goes to the plan as it is: parsePrices reads its shape (the 15-minute device first, never gas). A push
 * holds one device only, so the plan (lib/app/plan.ts) keeps 15-minute prices over an hourly device's push.
 *
 * Homey-free: the other app comes in as `this.homey.api.getApiApp(id)` (ApiAppLike), or null when the Homey does not
 * give it (no permission granted yet: an app update that adds a permission is not installed automatically).
 */
import { describeError } from '../errors';

export const PBTH_APP_ID = 'com.gruijter.powerhour';
export const PBTH_PRICES_PATH = '/dap-prices';
export const PBTH_PUSH_EVENT = 'dap-prices-updated';

/** The part of the Homey SDK's ApiApp used here. */
export interface ApiAppLike {
  get(path: string): Promise<unknown>;
  getInstalled(): Promise<boolean>;
  on(event: 'realtime', listener: (event: { name?: unknown; data?: unknown }) => void): unknown;
  on(event: 'install', listener: () => void): unknown;
}

export interface PbthPricesOptions {
  app: ApiAppLike | null;
  /** The plan takes the answer (false: it did not, e.g. a flow's prices win). */
  onPrices: (answer: unknown) => boolean;
  log: (line: string) => void;
}

export class PbthPrices {
  private started = false;

  constructor(private readonly opts: PbthPricesOptions) {}

  /** Fetch once if Power by the Hour is installed, and listen to its pushes. Never throws. */
  async start(): Promise<void> {
    const app = this.opts.app;
    if (!app || this.started) return;
    this.started = true;
    app.on('realtime', (event) => {
      if (event?.name !== PBTH_PUSH_EVENT) return;
      const data = event.data as { reason?: unknown } | undefined;
      if (data?.reason === 'period-changed') return;
      this.opts.onPrices(data);
    });
    app.on('install', () => void this.fetch());
    await this.fetch();
  }

  /** GET /dap-prices; a failure costs one log line. */
  async fetch(): Promise<boolean> {
    const app = this.opts.app;
    if (!app) return false;
    try {
      if (!(await app.getInstalled())) return false;
      const answer = await app.get(PBTH_PRICES_PATH);
      return this.opts.onPrices(answer);
    } catch (err) {
      this.opts.log(`Power by the Hour prices: ${describeError(err)}`);
      return false;
    }
  }
}
