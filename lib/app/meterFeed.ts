/**
 * The app's house meter: runs the one source the settings name (HomeWizard P1 local API v1, or v2's pinned WebSocket
 * stream; raw P1 telegrams from a dongle or serial-to-TCP bridge, a Homey device through the Homey Web API, or the "report phase currents" flow card),
 * hands its samples and errors to the balancer, and restarts it when its settings change (a P1 dongle's new address
 * too). Starts and stops run one after the other, so two quick changes never leave two sources polling; a stopped
 * source's late answer never reaches the balancer.
 *
 * Sample numbers: the balancer takes a sample as new when its `seq` differs from the last one it saw, and a new
 * source counts from 1 again. So that the first reading of a source that replaced another is never taken for a
 * repeat (the old one may have stopped at 1), the feed numbers on: each source's seq goes on from the last seq
 * handed over.
 *
 * Homey-free: the Homey Web API comes in through `homeyApi`, HTTP through `http`.
 */
import type { MeterSample, Triple } from '../balancer/types';
import type { Clock } from '../clock';
import { UserInputError, describeError } from '../errors';
import type { HttpTransport } from '../http';
import { FlowReportSource } from '../meter/flowReport';
import { HomeWizardP1Source } from '../meter/homewizard';
import { HomeWizardV2Source } from '../meter/homewizardV2';
import { HomeyApiLike, HomeyDeviceSource } from '../meter/homeyDevice';
import { isValidTimeZone } from '../meter/dsmr';
import { P1TcpSource } from '../meter/p1tcp';
import type { MeterSource } from '../meter/source';
import type { AppSettings, MeterSettings } from '../settings';

/** Where the samples and errors go (the controller). */
export interface MeterSink {
  onSample(sample: MeterSample): void;
  setMeterError(error: string | null): void;
}

export interface MeterFeedOptions {
  clock: Clock;
  /** For the HomeWizard P1 source. */
  http: HttpTransport;
  /** The Homey Web API, for a Homey device as meter (may reject, e.g. after a timeout). */
  homeyApi: () => Promise<HomeyApiLike>;
  /** The Homey's time zone (IANA name), for the timestamps in raw P1 telegrams; Europe/Amsterdam when absent or unknown. */
  timeZone?: () => string | undefined;
  sink: MeterSink;
  log: (line: string) => void;
  error: (line: string) => void;
}

/** What a running source was built from. */
interface MeterConfig {
  meter: MeterSettings;
  staleAfterS: number;
}

/** A Homey-device meter judges frozen phases by staleAfterS, so a change of it restarts that source too. */
function needsRestart(running: MeterConfig, next: MeterConfig): boolean {
  return (
    JSON.stringify(next.meter) !== JSON.stringify(running.meter) ||
    (next.meter.source === 'homey-device' && next.staleAfterS !== running.staleAfterS)
  );
}

export class MeterFeed {
  private readonly flow: FlowReportSource;
  private source: MeterSource | null = null;
  private off: (() => void)[] = [];
  private queue: Promise<void> = Promise.resolve();
  /** What the last `configure` asked for (the source may still be starting). */
  private wanted: MeterConfig | null = null;
  /** The last seq handed to the sink, and what the running source's seqs are added to. */
  private lastSeq = 0;
  private seqBase = 0;

  constructor(private readonly opts: MeterFeedOptions) {
    this.flow = new FlowReportSource(opts.clock);
  }

  /** Run the source these settings name: started the first time, restarted when its settings changed. */
  configure(settings: AppSettings): Promise<void> {
    const next: MeterConfig = { meter: settings.meter, staleAfterS: settings.staleAfterS };
    if (this.wanted && !needsRestart(this.wanted, next)) return this.queue;
    this.wanted = next;
    return this.enqueue(() => this.restart(next));
  }

  /** Stop the source (the app stops). */
  stop(): Promise<void> {
    return this.enqueue(() => this.stopSource());
  }

  /** The "report phase currents" flow card (with `powerW`: "… and house power"); throws one clear line when the flow
   *  card is not the meter source. */
  report(currentsA: Triple<number | null>, powerW?: unknown): void {
    const source = this.wanted?.meter.source ?? 'flow';
    if (source !== 'flow') {
      throw new UserInputError('meter', `the meter source is "${source}"; choose "Flow card" as meter source on the settings page to use this card`);
    }
    if (powerW === undefined) this.flow.report(currentsA[0], currentsA[1], currentsA[2]);
    else this.flow.reportWithPower(currentsA[0], currentsA[1], currentsA[2], powerW);
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async stopSource(): Promise<void> {
    for (const off of this.off) off();
    this.off = [];
    const source = this.source;
    this.source = null;
    if (source) await source.stop().catch((err: unknown) => this.opts.error(`meter stop: ${describeError(err)}`));
  }

  private async restart(config: MeterConfig): Promise<void> {
    const { sink } = this.opts;
    await this.stopSource();
    sink.setMeterError(null);
    try {
      const source = await this.create(config);
      this.source = source;
      this.seqBase = this.lastSeq;
      this.off.push(source.onSample((s) => this.forward(s)));
      this.off.push(source.onError((e) => sink.setMeterError(e)));
      await source.start();
      sink.setMeterError(source.status().error);
      this.opts.log(`meter source: ${source.kind}`);
    } catch (err) {
      const message = describeError(err);
      sink.setMeterError(message);
      this.opts.error(`meter source failed: ${message}`);
    }
  }

  private async create({ meter: m, staleAfterS }: MeterConfig): Promise<MeterSource> {
    const { clock, http } = this.opts;
    if (m.source === 'homewizard' && m.host) return new HomeWizardP1Source({ host: m.host, clock, http });
    if (m.source === 'homewizard-v2' && m.host && m.token && m.certFingerprint) {
      return new HomeWizardV2Source({ host: m.host, token: m.token, certFingerprint: m.certFingerprint, clock });
    }
    if (m.source === 'p1tcp' && m.host) {
      // the meter's own zone when the user set one, else the Homey's
      const timeZone = m.timeZone ?? this.opts.timeZone?.();
      return new P1TcpSource({ host: m.host, clock, timeZone: isValidTimeZone(timeZone) ? timeZone : undefined });
    }
    if (m.source === 'homey-device' && m.deviceId) {
      // the source asks for the Web API on each attempt to start: one that failed or timed out is created again
      return new HomeyDeviceSource({ api: () => this.opts.homeyApi(), deviceId: m.deviceId, clock, staleAfterMs: staleAfterS * 1000 });
    }
    return this.flow;
  }

  private forward(sample: MeterSample): void {
    if (typeof sample.seq === 'number') {
      this.lastSeq = this.seqBase + sample.seq;
      sample = { ...sample, seq: this.lastSeq };
    }
    this.opts.sink.onSample(sample);
  }
}
