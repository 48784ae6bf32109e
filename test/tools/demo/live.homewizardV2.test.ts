/**
 * Live mode on a HomeWizard P1 meter over the local API v2, exactly as `npm start -- --meter homewizard-v2://HOST --goe
 * HOST` runs it (`main`): pairing at start (the certificate pinned, "press the button", the emulator's button pressed
 * when the line appears), then the real controller on the real clock fed by the WebSocket pushes of the v2 emulator
 * (the real v2 payload carrying the house's current plus what the go-e emulator's car draws, one a second) over
 * loopback HTTPS, and the go-e emulator over loopback HTTP. The token never appears in any line printed. Bounds are
 * generous; nothing here is a timing claim.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import type { Triple } from '../../../lib/balancer/types';
import { SystemClock } from '../../../lib/clock';
import type { GoeEmulator } from '../../../tools/emulators/goe/emulator';
import { HomeWizardV2Emulator, measurementWithValues } from '../../../tools/emulators/homewizardV2';
import { liveTrail, runLive, startLiveGoe, waitFor } from './liveRun';

const TEMPLATE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'meter', 'homewizard', 'v2_api_measurement_HWE-P1_fw6.00_3phase.json'), 'utf8')) as Record<string, unknown>;
const FUSE_A = 25;
const MARGIN_A = 1;

describe('tools/demo live mode on a HomeWizard P1 over API v2 (npm start -- --meter homewizard-v2://…; real clock, loopback HTTPS)', function () {
  this.timeout(90_000);
  const clock = new SystemClock();
  const houseA: Triple<number> = [3, 3, 3];
  const lines: string[] = [];
  const errors: string[] = [];
  let goe: GoeEmulator;
  let meter: HomeWizardV2Emulator;
  let stop: () => void = () => undefined;
  let exit: Promise<number>;

  before(async () => {
    goe = await startLiveGoe(clock);
    meter = new HomeWizardV2Emulator({ clock, intervalMs: 1000, measurement: (n) => measurementWithValues(TEMPLATE, { currentsA: houseA.map((a) => a + goe.drawA), n }) });
    const host = await meter.start();
    meter.play();
    ({ stop, exit } = runLive(['--meter', `homewizard-v2://${host}`, '--goe', goe.url, '--fuse', String(FUSE_A)], lines, errors, (l) => {
      if (/press the button on the P1 meter within 30 s$/.test(l)) meter.pressButton();
    }));
  });

  after(async () => {
    stop();
    await exit;
    await meter.stop();
    await goe.stop();
  });

  const trail = (): string => liveTrail(lines, errors);

  it('pairs (certificate pinned, button pressed), then runs on the WebSocket stream: the car charges', async () => {
    assert.ok(await waitFor(() => lines.some((l) => l.startsWith('live: ')), 30), `live mode did not start:\n${trail()}`);
    assert.match(lines[0], /^HomeWizard 127\.0\.0\.1:\d+: certificate [0-9A-F:]{11}… pinned; press the button on the P1 meter within 30 s$/);
    assert.ok(lines[0].includes(meter.fingerprint.slice(0, 11)));
    assert.match(lines[1], /: paired with P1 Meter \(serial 5c2fafaabbcc, firmware 6\.00\)$/);
    // the WebSocket opens asynchronously after live mode starts (on a loaded machine it can come after the "live:" line)
    assert.ok(await waitFor(() => meter.wsClients === 1, 15), `no WebSocket client (${meter.wsClients}):\n${trail()}`);
    assert.ok(await waitFor(() => goe.drawA >= 6, 30), `the car does not charge (${goe.drawA} A):\n${trail()}`);
    assert.deepStrictEqual(errors, []);
  });

  it('cuts the go-e when a load step carried in the pushes leaves less room than it draws', async () => {
    const drawA = goe.drawA;
    const before = lines.filter((l) => / balancer (reduced|paused): /.test(l)).length;
    houseA[0] = FUSE_A - MARGIN_A - drawA + 4;
    const phaseOk = (): boolean => houseA[0] + goe.drawA <= FUSE_A - MARGIN_A + 0.5;
    assert.ok(await waitFor(phaseOk, 15), `L1 still at ${houseA[0] + goe.drawA} A:\n${trail()}`);
    const cuts = lines.filter((l) => / balancer (reduced|paused): /.test(l));
    assert.ok(cuts.length > before, `no cut printed:\n${trail()}`);
    assert.match(cuts[cuts.length - 1], /L1/);
    houseA[0] = 3;
  });

  it('stops on Ctrl-C: exit 0, the WebSocket closed; the token never printed', async () => {
    stop();
    assert.strictEqual(await exit, 0);
    assert.strictEqual(lines[lines.length - 1], 'stopped');
    assert.ok(await waitFor(() => meter.wsClients === 0, 5), 'the WebSocket is closed');
    assert.strictEqual(meter.tokens.size, 1);
    for (const token of meter.tokens) for (const l of [...lines, ...errors]) assert.ok(!l.includes(token), `the token in: ${l}`);
  });
});
