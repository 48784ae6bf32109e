/**
 * Live mode on a P1 dongle, exactly as `npm start -- --meter p1tcp://HOST:PORT --goe HOST` runs it (`main`): the real
 * controller on the real clock, the raw telegrams of the P1 dongle emulator over loopback TCP (a real DSMR 5 telegram
 * carrying the house's current plus what the go-e emulator's car draws, one a second), the go-e emulator over loopback
 * HTTP. Bounds are generous (a loaded 2-core machine); nothing here is a timing claim.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import type { Triple } from '../../../lib/balancer/types';
import { SystemClock } from '../../../lib/clock';
import { splitDsmrTelegrams } from '../../../lib/meter/dsmr';
import { main } from '../../../tools/demo/main';
import type { GoeEmulator } from '../../../tools/emulators/goe/emulator';
import { P1TcpEmulator, telegramWithValues } from '../../../tools/emulators/p1tcp';
import { liveTrail, runLive, startLiveGoe, waitFor } from './liveRun';

/** A real DSMR 5 telegram (NL Iskra AM550, Apache-2.0): the template of every telegram the dongle sends. */
const TEMPLATE = splitDsmrTelegrams(fs.readFileSync(
  path.join(__dirname, '..', '..', 'fixtures', 'meter', 'dsmr', 'nielsbasjes_dsmr-tools_NL_Iskra_AM550_DSMR5_1s_30telegrams.telegrams.txt'), 'latin1',
))[0];

const FUSE_A = 25;
/** The app's default margin (live mode runs the app's default settings). */
const MARGIN_A = 1;

describe('tools/demo live mode on a P1 dongle (npm start -- --meter p1tcp://…; real clock, loopback TCP)', function () {
  this.timeout(90_000);
  const clock = new SystemClock();
  const houseA: Triple<number> = [3, 3, 3];
  const lines: string[] = [];
  const errors: string[] = [];
  let goe: GoeEmulator;
  let dongle: P1TcpEmulator;
  let dongleHost: string;
  let stop: () => void = () => undefined;
  let exit: Promise<number>;

  before(async () => {
    goe = await startLiveGoe(clock);
    // telegram n is stamped 12:00:00 + n s: a meter never stamps two telegrams alike
    const stamp = (n: number): string => `25060112${String(Math.floor(n / 60) % 60).padStart(2, '0')}${String(n % 60).padStart(2, '0')}S`;
    dongle = new P1TcpEmulator({
      clock, intervalMs: 1000,
      telegrams: (n) => telegramWithValues(TEMPLATE, { currentsA: houseA.map((a) => a + goe.drawA), stamp: stamp(n) }),
    });
    dongleHost = await dongle.start();
    dongle.play();
    ({ stop, exit } = runLive(['--meter', `p1tcp://${dongleHost}`, '--goe', goe.url, '--fuse', String(FUSE_A)], lines, errors));
  });

  after(async () => {
    stop();
    await exit;
    dongle.pause();
    await dongle.stop();
    await goe.stop();
  });

  const trail = (): string => liveTrail(lines, errors);

  it('starts on the stream: connected to the dongle, the go-e found, the car charging', async () => {
    assert.ok(await waitFor(() => lines.some((l) => l.startsWith('live: ')), 15), `live mode did not start:\n${trail()}`);
    assert.match(lines.find((l) => l.startsWith('live: '))!, /^live: fuse 25 A, meter p1tcp:\/\/127\.0\.0\.1:\d+, chargers: go-e .+ \(Ctrl-C to stop\)$/);
    assert.strictEqual(dongle.clients, 1);
    assert.ok(await waitFor(() => goe.drawA >= 6, 30), `the car does not charge (${goe.drawA} A):\n${trail()}`);
    assert.deepStrictEqual(errors, []);
  });

  it('cuts the go-e when a load step carried in the telegrams leaves less room than it draws', async () => {
    const drawA = goe.drawA;
    const reducedBefore = lines.filter((l) => / balancer (reduced|paused): /.test(l)).length;
    // L1 over fuse − margin by 4 A unless the go-e is cut
    houseA[0] = FUSE_A - MARGIN_A - drawA + 4;
    const phaseOk = (): boolean => houseA[0] + goe.drawA <= FUSE_A - MARGIN_A + 0.5;
    assert.ok(await waitFor(phaseOk, 15), `L1 still at ${houseA[0] + goe.drawA} A (house ${houseA[0]} A, car ${goe.drawA} A):\n${trail()}`);
    const cuts = lines.filter((l) => / balancer (reduced|paused): /.test(l));
    assert.ok(cuts.length > reducedBefore, `no cut printed:\n${trail()}`);
    assert.match(cuts[cuts.length - 1], /L1/);
    if (drawA >= 10) assert.match(cuts[cuts.length - 1], / balancer reduced: /, `${drawA} A could be cut by 4 A without a pause`);
    houseA[0] = 3;
  });

  it('stops on Ctrl-C: exit 0, the dongle let go', async () => {
    stop();
    assert.strictEqual(await exit, 0);
    assert.strictEqual(lines[lines.length - 1], 'stopped');
    assert.ok(await waitFor(() => dongle.clients === 0, 5), 'the connection to the dongle is closed');
  });
});

describe('tools/demo --meter p1tcp://… refused before anything runs', () => {
  it('answers an address without a port, a bad port or another scheme with one line and exit 2', async () => {
    const cases: [string, string][] = [
      ['p1tcp://192.168.1.40', 'error: --meter: add the TCP port the P1 dongle streams on (e.g. 192.168.1.40:8088)'],
      ['p1tcp://[fd00::40]', 'error: --meter: add the TCP port the P1 dongle streams on (e.g. 192.168.1.40:8088)'],
      ['p1tcp://192.168.1.40:0', 'error: --meter: port "0" must be a whole number from 1 to 65535 (e.g. 192.168.1.40:8088)'],
      ['p1tcp://user:secret@192.168.1.40:23', 'error: --meter: a user name or password does not belong in the address of the P1 dongle: enter only its host name or IP address (e.g. 192.168.1.40:8088)'],
      ['tcp://192.168.1.40:8088', 'error: --meter: expected homewizard://HOST, homewizard-v2://HOST or p1tcp://HOST:PORT, got "tcp://192.168.1.40:8088"'],
    ];
    for (const [meter, line] of cases) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['--meter', meter, '--goe', '127.0.0.1:9'], { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, stopSignal: new Promise(() => undefined) });
      assert.deepStrictEqual([code, err, out], [2, [line], []], meter);
    }
  });
});
