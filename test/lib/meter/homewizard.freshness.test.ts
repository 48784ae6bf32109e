/**
 * The HomeWizard P1 source against the emulator over real loopback HTTP: wall-clock steps (new telegrams
 * keep coming, repeats stay no news, the poller keeps its pace) and a meter host saved as a bare IPv6
 * address, from the settings validation to polling it on ::1.
 */
import assert from 'assert';
import http from 'http';
import { ManualClock } from '../../../lib/clock';
import type { MeterSample } from '../../../lib/balancer/types';
import { type HttpTransport, nodeFetchTransport } from '../../../lib/http';
import { HomeWizardP1Source, fetchHomeWizardInfo } from '../../../lib/meter/homewizard';
import { HomeWizardEmulator, type CurrentTrace } from '../../../tools/emulators/homewizard';
import { defaultAppSettings } from '../../../lib/settings';
import { validateAppSettings } from '../../../lib/settingsValidation';

/** House load that changes every second. */
const trace: CurrentTrace = (t) => [10 + ((t / 1000) % 5), 3, -6.5];

/** Whether this machine can listen on the IPv6 loopback address. */
async function hasIpv6Loopback(): Promise<boolean> {
  const server = http.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '::1', () => resolve());
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return true;
  } catch {
    return false;
  }
}

describe('meter/homewizard freshness and IPv6', () => {
  let clock: ManualClock;
  let emulator: HomeWizardEmulator | undefined;
  let source: HomeWizardP1Source | undefined;
  let samples: MeterSample[];

  async function startSource(host: string, opts: { http?: HttpTransport } = {}): Promise<HomeWizardP1Source> {
    source = new HomeWizardP1Source({ host, clock, pollIntervalMs: 1000, http: opts.http });
    samples = [];
    source.onSample((s) => samples.push(s));
    await source.start();
    await source.idle();
    return source;
  }

  /** Advance the clock and wait for the poll it triggered (real loopback I/O). */
  async function seconds(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await clock.advance(1000);
      await source!.idle();
    }
  }

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2025, 0, 1, 12));
  });

  afterEach(async () => {
    await source?.stop();
    await emulator?.stop();
    source = undefined;
    emulator = undefined;
  });

  it('a wall-clock step back or forward: new telegrams keep coming each second, a repeated one is no news', async () => {
    emulator = new HomeWizardEmulator({ clock, trace });
    const src = await startSource(await emulator.start());
    await seconds(3);
    assert.strictEqual(samples.length, 4);
    // The step lands while a poll is in flight: the next poll is still due a second later (not an hour).
    await clock.advance(1000);
    clock.jump(-3_600_000);
    await src.idle();
    await seconds(5);
    assert.strictEqual(src.counters.polls, 10);
    assert.strictEqual(samples.length, 10, 'one sample per new telegram after the step back');
    clock.jump(7_200_000);
    await seconds(5);
    assert.strictEqual(samples.length, 15, 'and after a step forward');
    samples.forEach((s, i) => assert.strictEqual(s.seq, i + 1));
    assert.strictEqual(samples.at(-1)!.timeMs, clock.nowMs(), 'timeMs is the wall time at receipt (display only)');
    // The dongle repeats its last telegram: no sample, whatever the wall clock does meanwhile.
    emulator.faults.frozen = true;
    clock.jump(-3_600_000);
    await seconds(3);
    clock.jump(3_600_000);
    await seconds(3);
    assert.strictEqual(samples.length, 15);
    assert.strictEqual(src.counters.unchanged, 6);
    assert.deepStrictEqual(src.status().perPhaseAgeS, [6, 6, 6], 'ages are monotonic');
    emulator.faults.frozen = false;
    await seconds(1);
    assert.strictEqual(samples.length, 16);
  });

  it('a meter host saved as a bare IPv6 address is polled there (settings → source → ::1)', async function () {
    if (!(await hasIpv6Loopback())) {
      this.test!.title += ' — skipped: this machine has no IPv6 loopback (::1)';
      this.skip();
    }
    emulator = new HomeWizardEmulator({ clock, trace });
    const listening = await emulator.start(0, '::1');
    const port = Number(/^\[::1\]:(\d+)$/.exec(listening)![1]);

    const saved = validateAppSettings({ ...defaultAppSettings(), meter: { source: 'homewizard', host: ' ::1 ', deviceId: null, serial: null } }, []);
    assert.ok(saved.ok, JSON.stringify(!saved.ok && saved.errors));
    assert.strictEqual(saved.value.meter.host, '[::1]');

    // The saved host has no port (HomeWizard's API is on 80); only the port is moved to where the emulator listens.
    const requested: string[] = [];
    const toEmulatorPort: HttpTransport = (req) => {
      requested.push(req.url);
      const url = new URL(req.url);
      url.port = String(port);
      return nodeFetchTransport({ ...req, url: url.toString() });
    };
    const info = await fetchHomeWizardInfo(saved.value.meter.host!, { http: toEmulatorPort });
    assert.strictEqual(info.productType, 'HWE-P1');
    const src = await startSource(saved.value.meter.host!, { http: toEmulatorPort });
    await seconds(2);
    assert.strictEqual(src.status().error, null);
    assert.strictEqual(samples.length, 3);
    assert.ok(requested.every((u) => u.startsWith('http://[::1]/api')), requested.join());

    // And with a port, through the default transport alone.
    await src.stop();
    const direct = await startSource(listening);
    assert.strictEqual(direct.status().error, null);
    assert.strictEqual(samples.length, 1);
    assert.ok(emulator.requests['/api/v1/data'] >= 4);
  });
});
