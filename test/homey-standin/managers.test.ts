import assert from 'assert';
import Homey from 'homey';
import { registerSecret } from '../../lib/errors';
import { addDevice, createHomey, startApp, teardown } from './harness';
import type { StandinHomey } from './homey';
import { useStandinApp } from './standinApp';

class TestApp extends Homey.App {
  async onInit(): Promise<void> {
    this.log('started with password=hunter22');
  }
}

describe('homey stand-in', () => {
  let root: string;
  let homey: StandinHomey;
  const setup = useStandinApp((ctx) => ({ root, homey } = ctx));

  describe('settings', () => {
    it('returns null for unset keys and emits set/unset', () => {
      const seen: string[] = [];
      homey.settings.on('set', (k: string) => seen.push(`set:${k}`));
      homey.settings.on('unset', (k: string) => seen.push(`unset:${k}`));
      assert.strictEqual(homey.settings.get('missing'), null);
      homey.settings.set('fuse', 25);
      assert.strictEqual(homey.settings.get('fuse'), 25);
      assert.deepStrictEqual(homey.settings.getKeys(), ['fuse']);
      homey.settings.unset('fuse');
      assert.strictEqual(homey.settings.get('fuse'), null);
      assert.deepStrictEqual(seen, ['set:fuse', 'unset:fuse']);
    });
  });

  describe('flow', () => {
    it('rejects undeclared card ids unless strictFlowCards is off', () => {
      assert.throws(() => homey.flow.getActionCard('nope'), /Invalid Flow Card ID: nope/);
      assert.throws(() => homey.flow.getTriggerCard('x_limited'), /device trigger/);
      assert.throws(() => homey.flow.getConditionCard('set_fuse'), /action card/);
      const loose = createHomey({ appRoot: root, strictFlowCards: false });
      assert.ok(loose.flow.getActionCard('nope'));
    });

    it('validates trigger tokens against the card JSON', async () => {
      const card = homey.flow.getTriggerCard('overload');
      await assert.rejects(card.trigger({ current: 26 }), /missing token "phase"/);
      await assert.rejects(card.trigger({ current: 26, phase: 'L1', amps: 3 }), /unknown token "amps"/);
      await assert.rejects(card.trigger({ current: '26', phase: 'L1' }), /token "current" must be a number/);
      await card.trigger({ current: 26, phase: 'L1' }, { phase: 'L1' });
      assert.strictEqual(homey.flow.triggersOf('overload').length, 1);
    });

    it('fires simulated user flows through the run listener filter', async () => {
      const card = homey.flow.getTriggerCard('overload');
      card.registerRunListener(async (args: { phase: string }, state: { phase: string }) => args.phase === state.phase);
      const l1 = homey.flow.addUserFlow('overload', { phase: 'L1' });
      const l2 = homey.flow.addUserFlow('overload', { phase: 'L2' });
      await card.trigger({ current: 26, phase: 'L2' }, { phase: 'L2' });
      assert.deepStrictEqual(l1.runs, []);
      assert.deepStrictEqual(l2.runs, [{ current: 26, phase: 'L2' }]);
      assert.strictEqual(await homey.flow.runTriggerListener('overload', { phase: 'L3' }, { phase: 'L3' }), true);
      assert.throws(() => homey.flow.addUserFlow('overload', { phase: 'L4' }), /one of L1, L2, L3/);
    });

    it('runs actions with checked args, device cards included, and autocompletes', async () => {
      const { device } = await setup();
      await homey.flow.runAction('x_set_limit', { device, current: 10 });
      assert.strictEqual(device.getCapabilityValue('measure_power'), 2300);
      await assert.rejects(homey.flow.runAction('x_set_limit', { device, current: 40 }), /<= 32/);
      await assert.rejects(homey.flow.runAction('x_set_limit', { current: 10 }), /"device" is required/);
      const fuse = homey.flow.getActionCard('set_fuse');
      const seen: number[] = [];
      fuse.registerRunListener(async (args: { fuse: number }) => { seen.push(args.fuse); });
      fuse.registerArgumentAutocompleteListener('meter', async (query: string) => [{ name: `P1 ${query}`, id: 'm1' }]);
      assert.throws(() => fuse.registerArgumentAutocompleteListener('fuse', async () => []), /not autocomplete/);
      await homey.flow.runAction('set_fuse', { fuse: 25 });
      assert.deepStrictEqual(seen, [25]);
      assert.deepStrictEqual(await homey.flow.autocomplete('set_fuse', 'meter', 'kit'), [{ name: 'P1 kit', id: 'm1' }]);
      homey.flow.getConditionCard('is_limited').registerRunListener(async () => 0);
      assert.strictEqual(await homey.flow.runCondition('is_limited'), false);
    });

    it('creates typed global tokens once', async () => {
      const token = await homey.flow.createToken('available_current', { type: 'number', title: 'Available', value: 0 });
      await token.setValue(11);
      await assert.rejects(token.setValue('11'), /invalid value/);
      assert.strictEqual(homey.flow.getToken('available_current').getValue(), 11);
      await assert.rejects(homey.flow.createToken('available_current', { type: 'number', title: 'x' }), /already exists/);
    });

    it('device triggers need a device of their driver and filter user flows per device', async () => {
      const { driver, device } = await setup();
      const other = await addDevice(driver, { name: 'Other', data: { id: 'g2' } });
      const card = homey.flow.getDeviceTriggerCard('x_limited');
      const mine = homey.flow.addUserFlow('x_limited', { device });
      await card.trigger(other, { current: 6 });
      await card.trigger(device, { current: 8 });
      assert.deepStrictEqual(mine.runs, [{ current: 8 }]);
      await assert.rejects(card.trigger({} as any, { current: 6 }), /must be a device/);
    });
  });

  describe('insights, timers, i18n, logs, api', () => {
    it('creates insights logs once and records entries with timestamps', async () => {
      let t = Date.UTC(2026, 0, 1);
      const h = createHomey({ appRoot: root, now: () => t });
      const log = await h.insights.createLog('headroom_l1', { title: { en: 'Headroom L1' }, type: 'number', units: 'A' });
      await assert.rejects(h.insights.createLog('headroom_l1', { title: 'x', type: 'number' }), /already exists/);
      await assert.rejects(h.insights.getLog('nope'), /not found/);
      await log.createEntry(12.5);
      t += 1000;
      await log.createEntry(11);
      await assert.rejects(log.createEntry(Number.NaN), /invalid value/);
      assert.deepStrictEqual((await h.insights.getLog('headroom_l1')).entries.map((e) => [e.value, e.timestamp.getTime()]),
        [[12.5, Date.UTC(2026, 0, 1)], [11, Date.UTC(2026, 0, 1) + 1000]]);
      await h.insights.deleteLog(log);
      assert.deepStrictEqual(await h.insights.getLogs(), []);
    });

    it('tracks timers and clears them on teardown', async () => {
      await setup();
      const fired: string[] = [];
      homey.setTimeout(() => fired.push('late'), 50);
      const soon = new Promise<void>((resolve) => homey.setTimeout(() => { fired.push('soon'); resolve(); }, 1));
      assert.strictEqual(homey.activeTimerCount(), 3); // device poll interval + 2 timeouts
      await soon;
      assert.strictEqual(homey.activeTimerCount(), 2);
      let unloads = 0;
      homey.on('unload', () => unloads++);
      await teardown(homey);
      await teardown(homey);
      assert.strictEqual(unloads, 1);
      assert.strictEqual(homey.activeTimerCount(), 0);
      await new Promise((r) => setTimeout(r, 80));
      assert.deepStrictEqual(fired, ['soon']);
    });

    it('fires tracked timers on demand without waiting for real time', async () => {
      const ticks: string[] = [];
      const iv = homey.setInterval(async () => { ticks.push('poll'); }, 3_600_000);
      let to: NodeJS.Timeout | undefined = undefined;
      homey.setTimeout(() => { ticks.push('first'); homey.clearTimeout(to); }, 3_600_000);
      to = homey.setTimeout(() => ticks.push('cleared before it ran'), 3_600_000);
      assert.strictEqual(await homey.fireTimers('interval'), 1);
      assert.strictEqual(await homey.fireTimers(), 3);
      assert.deepStrictEqual(ticks, ['poll', 'poll', 'first']);
      assert.strictEqual(homey.activeTimerCount(), 1);
      homey.clearInterval(iv);
      assert.strictEqual(homey.activeTimerCount(), 0);
    });

    it('translates with dotted keys, tags, language fallback and missing keys', () => {
      assert.strictEqual(homey.__('greeting', { name: 'Ada' }), 'Hello Ada');
      assert.strictEqual(homey.__('nested.deep', { a: 1 }), 'Deep 1 and 1');
      assert.strictEqual(homey.__('no.such.key'), 'no.such.key');
      const nl = createHomey({ appRoot: root, language: 'nl' });
      assert.strictEqual(nl.__('greeting', { name: 'Ada' }), 'Hallo Ada');
      assert.strictEqual(nl.__('only_en'), 'English');
      assert.strictEqual(nl.__({ en: 'Hi', nl: 'Hoi' }), 'Hoi');
      assert.strictEqual(nl.i18n.getLanguage(), 'nl');
    });

    it('records redacted log lines and keeps the raw ones for secret scans', async () => {
      registerSecret('s3cr3t-key');
      const app = await startApp(TestApp, homey);
      await Promise.reject(new Error('request failed with key s3cr3t-key')).catch(app.error);
      assert.strictEqual(homey.app, app);
      assert.match(homey.logText(), /password=\*\*\*/);
      assert.doesNotMatch(homey.logText(), /hunter22|s3cr3t-key/);
      assert.ok(homey.logs.some((l) => l.raw.includes('s3cr3t-key')));
      assert.deepStrictEqual(homey.logs.map((l) => [l.level, l.source]), [['log', 'App'], ['error', 'App']]);
    });

    it('records realtime events and exposes manifest, platform, drivers', async () => {
      const { driver } = await setup();
      homey.api.realtime('balancer.state', { l1: 10 });
      assert.deepStrictEqual(homey.api.realtimeEvents, [{ event: 'balancer.state', data: { l1: 10 } }]);
      assert.strictEqual(homey.manifest.id, 'test.standin');
      assert.strictEqual(homey.platform, 'local');
      assert.strictEqual(homey.drivers.getDriver('x'), driver);
      assert.throws(() => homey.drivers.getDriver('y'), /Driver not found/);
      assert.match(await homey.api.getLocalUrl(), /test\.standin/);
      await homey.notifications.createNotification({ excerpt: 'Fuse overloaded' });
      await assert.rejects(homey.notifications.createNotification({ excerpt: '' }), /non-empty/);
      assert.deepStrictEqual(homey.notifications.sent, ['Fuse overloaded']);
    });
  });
});
