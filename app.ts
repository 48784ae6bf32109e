import Homey from 'homey';
import { BalancerCards, BalancerCardHost } from './flow/balancerCards';
import { PlanCards } from './flow/planCards';
import { CapacityCards } from './flow/capacityCards';
import { AppCapacity } from './lib/app/capacity';
import { ChargerRegistry } from './lib/app/chargerRegistry';
import { reasonSpeaker } from './lib/app/reasonText';
import { HomeWizardFollower, type DiscoveryStrategyLike } from './lib/app/homeWizardFollower';
import { AppInsights, type InsightsLike } from './lib/app/insights';
import { MeterFeed } from './lib/app/meterFeed';
import { PbthPrices, PBTH_APP_ID, type ApiAppLike } from './lib/app/pbthPrices';
import { AppPlan, PLAN_STATE_KEY } from './lib/app/plan';
import { ModeStore } from './lib/app/modes';
import { SettingsStore } from './lib/app/settingsStore';
import { WebApi } from './lib/app/webApi';
import type { MeterSample } from './lib/balancer/types';
import { CapacityGuard } from './lib/capacity/guard';
import { Clock, SystemClock } from './lib/clock';
import { Controller, ControllerEvent } from './lib/controller';
import { SolarLimitSource } from './lib/solar';
import { describeError } from './lib/errors';
import { type HttpTransport, nodeFetchTransport } from './lib/http';
import type { HomeyApiLike } from './lib/meter/homeyDevice';
import type { AppSettings } from './lib/settings';

/** Homey setting key of the controller's persisted state (safe start after a restart). */
const STATE_KEY = 'controllerState';
const TICK_MS = 1000;
const LIVE_EVERY_TICKS = 2;
const HOMEY_API_TIMEOUT_MS = 10_000;
/** .homeycompose/discovery/homewizard_energy.json: every `_hwenergy._tcp` device, no conditions (lib/meter/homewizard
 *  tells P1 meters from other HomeWizard products, case-insensitively). */
const HOMEWIZARD_DISCOVERY = 'homewizard_energy';
/** .homeycompose/discovery/homewizard_v2.json: `_homewizard._tcp` (API v2, firmware 6+), to follow a paired v2 meter. */
const HOMEWIZARD_V2_DISCOVERY = 'homewizard_v2';

/**
 * PhaseGuard EV: drives Charge Amps and go-e chargers and keeps every phase of the house under the main fuse.
 * The composition root: it builds the modules of lib/app around lib/controller and wires them to Homey.
 *
 * | module | purpose |
 * | --- | --- |
 * | `chargers` (lib/app/chargerRegistry) | charger devices join in onInit and leave in onUninit/onDeleted |
 * | `modes` (lib/app/modes) | each charger's charging mode (fast, min+solar, solar, off, planned) |
 * | `appSettings` (lib/app/settingsStore) | the settings: loaded, validated as a whole, saved, applied here |
 * | `meter` (lib/app/meterFeed) | the one meter source the settings name, feeding the controller |
 * | `homeWizard` (lib/app/homeWizardFollower) | HomeWizard meters on the network; follows the picked one |
 * | `webApi` (lib/app/webApi) | what api.ts serves the settings page |
 * | `insights` (lib/app/insights) | Insights logs of the phases, the chargers and the events |
 * | `cards` (flow/balancerCards) | the app's flow cards |
 * | `plan` (lib/app/plan, flow/planCards) | the charging plan: a limit source, prices (a flow, Power by the Hour), GET /plan |
 * | `capacity` (lib/app/capacity, flow/capacityCards) | the capacity-tariff guard: a limit source, its status and cards |
 */
class PhaseGuardApp extends Homey.App {
  /** Tests replace this to hand in a fake homey-api; on Homey it is HomeyAPI.createAppAPI. */
  static homeyApiFactory: (homey: Homey.App['homey']) => Promise<HomeyApiLike> = async (homey) => {
    // Loaded lazily: homey-api is large and only needed for the 'homey-device' meter source.
    const { HomeyAPI } = require('homey-api') as { HomeyAPI: { createAppAPI(o: { homey: unknown }): Promise<unknown> } };
    return (await HomeyAPI.createAppAPI({ homey })) as HomeyApiLike;
  };

  /** The runtime's clock, on the Homey's timers (they stop with the app). Tests replace this with a ManualClock. */
  static clockFactory: (homey: Homey.App['homey']) => Clock = (homey) =>
    new SystemClock({ setTimeout: (fn, ms) => homey.setTimeout(fn, ms), clearTimeout: (h) => homey.clearTimeout(h as never) });

  /** Tests replace this to send the HomeWizard source's requests to emulators on loopback. */
  static homeWizardHttp: HttpTransport = nodeFetchTransport;

  private readonly clock = PhaseGuardApp.clockFactory(this.homey);
  /** Each charger's charging mode (lib/app/modes); its device keeps it, the limit sources read it. */
  readonly modes = new ModeStore();
  /** Exists from construction: devices may join before onInit has finished; they are attached when it has. */
  readonly chargers = new ChargerRegistry({
    log: (line) => this.log(line),
    onAttached: (id, name) => this.insights.chargerAttached(id, name),
    modes: this.modes,
    onRemoved: (id) => void this.forgetChargerSettings(id),
  });

  private readonly insights = new AppInsights({
    insights: this.homey.insights as unknown as InsightsLike,
    clock: this.clock,
    setTimeout: (fn, ms) => this.homey.setTimeout(fn, ms),
    error: (line) => this.error(line),
  });

  appSettings!: SettingsStore;
  /** What api.ts serves; set in onInit (api.ts answers "still starting" before). */
  webApi!: WebApi;
  /** The charging plan (lib/app/plan); the device plan cards reach it as `homey.app.plan`. Set in onInit. */
  plan!: AppPlan;
  private planCards!: PlanCards;
  private controller!: Controller;
  private solar!: SolarLimitSource;
  private cards!: BalancerCards;
  private capacity!: AppCapacity;
  private meter!: MeterFeed;
  private homeWizard!: HomeWizardFollower;
  private homeyApi: Promise<HomeyApiLike> | null = null;
  private tickTimer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private staleNotified = false;

  async onInit(): Promise<void> {
    this.appSettings = new SettingsStore({
      store: this.homey.settings,
      knownChargerIds: () => this.chargers.list().map((c) => c.id),
      onChange: (next, previous) => this.applySettings(next, previous),
      error: (line) => this.error(line),
    });
    this.controller = this.createController(this.appSettings.get());
    this.cards = new BalancerCards(this.homey, this.cardHost());
    this.cards.register();
    this.plan = this.createPlan();
    // why each charger in its mode is (not) charging: the device capability and the live view (lib/app/modeStatus)
    this.modes.useStatus({ solar: () => this.solar, plan: () => this.plan?.source, timeZone: () => this.homey.clock.getTimezone(), error: (line) => this.error(line) });
    this.capacity = this.createCapacity();
    this.meter = new MeterFeed({
      clock: this.clock,
      http: PhaseGuardApp.homeWizardHttp,
      homeyApi: () => this.getHomeyApi(),
      timeZone: () => this.homey.clock.getTimezone(),
      sink: { onSample: (s) => this.onSample(s), setMeterError: (e) => this.controller.setMeterError(e) },
      log: (line) => this.log(line),
      error: (line) => this.error(line),
    });
    this.homeWizard = new HomeWizardFollower({
      strategy: () => this.homey.discovery.getStrategy(HOMEWIZARD_DISCOVERY) as unknown as DiscoveryStrategyLike,
      strategyV2: () => this.homey.discovery.getStrategy(HOMEWIZARD_V2_DISCOVERY) as unknown as DiscoveryStrategyLike,
      settings: this.appSettings,
      push: (view) => this.homey.api.realtime('homewizard', view),
      log: (line) => this.log(line),
      error: (line) => this.error(line),
    });
    this.webApi = new WebApi({
      settings: this.appSettings,
      chargers: this.chargers,
      homeWizard: this.homeWizard,
      live: () => this.modes.withStatus(this.controller.liveView()),
      plan: () => this.plan.view(),
      capacity: () => this.capacity.status(),
      homeyApi: () => this.getHomeyApi(),
      settingsSaved: () => this.capacity.settingsSaved(),
    });
    await this.meter.configure(this.appSettings.get());
    this.homeWizard.start();
    this.chargers.start(this.controller);
    this.tickTimer = this.homey.setInterval(() => void this.tick(), TICK_MS);
    this.log('PhaseGuard EV has started');
  }

  async onUninit(): Promise<void> {
    if (this.tickTimer) this.homey.clearInterval(this.tickTimer);
    this.chargers.close();
    this.plan?.save();
    this.homeWizard?.stop();
    this.capacity?.stop();
    await this.meter?.stop();
  }

  /** Every second: let the balancer notice a silent meter and retry writes, push the live view.
   *  Resolves when the resulting charger writes are done. */
  async tick(): Promise<void> {
    try {
      this.controller.tick();
      this.plan.tick();
      this.followPhaseWishes();
      if (++this.ticks % LIVE_EVERY_TICKS === 0) this.pushLive();
      await this.controller.idle();
    } catch (err) {
      this.error('tick failed:', describeError(err));
    }
  }

  private createController(settings: AppSettings): Controller {
    const controller = new Controller({
      clock: this.clock,
      settings,
      store: {
        load: () => this.homey.settings.get(STATE_KEY),
        save: (state) => this.homey.settings.set(STATE_KEY, state),
      },
      log: (line) => this.log(line),
      speak: reasonSpeaker({ __: (key) => this.homey.__(key), getLanguage: () => this.homey.i18n.getLanguage() }),
    });
    // solar, min+solar and off: lib/solar's source is the one owner of 'off' too (a 0 A ceiling pauses the charger)
    controller.addLimitSource(this.modes.speaking(this.createSolar(settings)));
    controller.on('phasesSwitched', (s: { chargerId: string; phases: 1 | 3 }) => this.solar.notePhases(s.chargerId, s.phases));
    this.modes.on('modeChanged', () => this.pushLive());
    controller.on('event', (ev: ControllerEvent) => {
      this.chargers.event(ev);
      void this.onControllerEvent(ev);
    });
    controller.on('applied', (a: { chargerId: string; limitA: number | null; paused: boolean | null }) => {
      this.insights.applied(a.chargerId, a.limitA, a.paused);
      this.chargers.applied(a.chargerId, a);
    });
    return controller;
  }

  /** A deleted charger's settings (wiring, maximum, priority) go with it; one line if that cannot be saved. */
  private async forgetChargerSettings(id: string): Promise<void> {
    if (!(id in this.appSettings.get().chargers)) return;
    try {
      await this.appSettings.update((s) => ({ ...s, chargers: Object.fromEntries(Object.entries(s.chargers).filter(([k]) => k !== id)) }));
    } catch (err) {
      this.error(`the settings of deleted charger ${id} could not be removed: ${describeError(err)}`);
    }
  }

  /** Saved settings reach the controller (and solar charging), then the meter (restarted when its settings changed),
   *  then the page. */
  private async applySettings(next: AppSettings, previous: AppSettings): Promise<void> {
    this.controller.setSettings(next);
    if ((next.meterSign ?? 'auto') !== (previous.meterSign ?? 'auto')) this.controller.addLimitSource(this.modes.speaking(this.createSolar(next)));
    this.capacity.configure(next);
    await this.meter.configure(next);
    this.pushLive();
  }

  private cardHost(): BalancerCardHost {
    return {
      getSettings: () => this.appSettings.get(),
      updateSettings: (change) => this.appSettings.update(change),
      reportPhaseCurrents: (currentsA) => this.meter.report(currentsA),
      chargerChoices: () => this.chargers.list().map(({ id, name }) => ({ id, name })),
      isChargerLimited: (id) => this.controller.isLimited(id),
      headroomA: () => this.controller.liveView().headroomA,
    };
  }

  /** The capacity guard from the settings and the Homey's time zone, a limit source of the controller, with its cards. */
  private createCapacity(): AppCapacity {
    const cards = new CapacityCards(this.homey, {
      capacityStatus: () => this.capacity.status(),
      setCapacityKW: (kw) => this.capacity.setCapKW(kw),
      suspendCapacity: () => this.capacity.suspendForPeriod(),
      reportHouse: (currentsA, powerW) => this.meter.report(currentsA, powerW),
    });
    cards.register();
    const capacity = new AppCapacity({
      clock: this.clock,
      createGuard: (cfg, opts) => new CapacityGuard(cfg, opts),
      timeZone: () => this.homey.clock.getTimezone(),
      store: this.homey.settings,
      limits: this.controller,
      onEvent: (e) => cards.fireEvent(e),
      onMinute: (s) => this.insights.capacity(s),
      log: (line) => this.log(line),
      error: (line) => this.error(line),
    });
    capacity.configure(this.appSettings.get());
    return capacity;
  }

  /** Solar charging (lib/solar) for the chargers in solar, min+solar and off, reading each one's mode from `modes`;
   *  made anew (replacing the old one) when the meter's sign setting changes. */
  private createSolar(settings: AppSettings): SolarLimitSource {
    this.solar = new SolarLimitSource({
      modeOf: (id) => this.modes.modeOf(id),
      meterSigned: settings.meterSign ?? 'auto',
      canSwitchPhases: (id) => this.chargers.canSwitchPhases(id),
      forcedPhases: (id) => this.chargers.forcedPhases(id),
      fuse: () => ({ fuseA: this.appSettings.get().fuseA, marginA: this.appSettings.get().marginA }),
    });
    return this.solar;
  }

  /** Solar's phase wishes (a go-e with psm) go to the controller, which switches through the charger's actuator. */
  private followPhaseWishes(): void {
    for (const { id } of this.chargers.list()) {
      const wish = this.solar.phaseWish(id);
      if (wish !== null) this.controller.requestPhases(id, wish);
    }
  }

  /** The charging plan in the Homey's time zone, a limit source of the controller, with its cards and PBTH's prices. */
  private createPlan(): AppPlan {
    this.planCards = new PlanCards(this.homey, { setPricesFromFlow: (text) => this.plan.setPricesFromFlow(text) });
    this.planCards.register();
    const plan = new AppPlan({
      clock: this.clock,
      timeZone: this.homey.clock.getTimezone(),
      store: { load: () => this.homey.settings.get(PLAN_STATE_KEY), save: (state) => this.homey.settings.set(PLAN_STATE_KEY, state) },
      settings: () => this.appSettings.get(),
      capacity: () => this.capacity?.status() ?? null,
      chargers: this.chargers,
      modes: this.modes,
      onPlanChanged: (id, tokens) => void this.planCards.planChanged(id, tokens),
      onView: (view) => this.homey.api.realtime('plan', view),
      insights: this.insights,
      log: (line) => this.log(line),
      error: (line) => this.error(line),
    });
    plan.register({ addLimitSource: (src) => this.controller.addLimitSource(this.modes.speaking(src)) });
    void new PbthPrices({ app: this.pbthApp(), onPrices: (answer) => plan.setPricesFromPbth(answer), log: (line) => this.log(line) }).start();
    return plan;
  }

  /** Power by the Hour's inter-app API (permission homey:app:com.gruijter.powerhour), or null where Homey refuses it. */
  private pbthApp(): ApiAppLike | null {
    try {
      return this.homey.api.getApiApp(PBTH_APP_ID) as unknown as ApiAppLike;
    } catch (err) {
      this.log(`Power by the Hour is not reachable: ${describeError(err)}`);
      return null;
    }
  }

  /** The Homey Web API, created once (again after a failure), within 10 s. */
  private getHomeyApi(): Promise<HomeyApiLike> {
    if (!this.homeyApi) {
      const timeout = new Promise<never>((_, reject) =>
        this.homey.setTimeout(() => reject(new Error('the Homey Web API did not answer within 10 s')), HOMEY_API_TIMEOUT_MS),
      );
      this.homeyApi = Promise.race([PhaseGuardApp.homeyApiFactory(this.homey), timeout]);
      this.homeyApi.catch(() => {
        this.homeyApi = null; // try again next time
      });
    }
    return this.homeyApi;
  }

  private onSample(sample: MeterSample): void {
    const out = this.controller.onSample(sample);
    void this.cards.onHeadroom(out.headroomA).catch((err: unknown) => this.error('headroom trigger:', describeError(err)));
    if (!out.stale) this.staleNotified = false;
    this.insights.step(out, (id) => this.chargers.has(id));
  }

  private async onControllerEvent(ev: ControllerEvent): Promise<void> {
    try {
      await this.cards.fireEvent(ev);
      await this.insights.event(ev.type);
      if (ev.type === 'meterStale' && !this.staleNotified) {
        this.staleNotified = true;
        await this.homey.notifications.createNotification({ excerpt: `PhaseGuard EV: ${ev.reason}` });
      }
      this.pushLive();
    } catch (err) {
      this.error(`event ${ev.type}:`, describeError(err));
    }
  }

  private pushLive(): void {
    this.homey.api.realtime('live', this.modes.withStatus(this.controller.liveView()));
    this.modes.showStatus();
  }
}

export = PhaseGuardApp;
