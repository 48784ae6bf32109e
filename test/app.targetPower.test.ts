/**
 * Homey's target power (issue 17 item 1) through the Homey stand-in: the real app and a real go-e device against the
 * emulator, driven by the "Set the target power" card Homey makes from homey-lib's `target_power` capability. The
 * target becomes the charger's maximum current (W / 230 V / the car's phases); the balancer's headroom still wins,
 * and the device says when it holds the charger below the target.
 */
import assert from 'assert';
import PhaseGuardApp from '../app';
import GoeDevice from '../drivers/goe/device';
import { BELOW_TARGET_CAPABILITY } from '../drivers/chargerDevice';
import { ManualClock } from '../lib/clock';
import { GoeEmulator } from '../tools/emulators/goe/emulator';
import { balancerHomey, endAppTest, goeSecond, startAppWithGoe, startGoeEmulator, useAppClock } from './appHarness';
import { restartDevice, standin, type StandinHomey } from './homey-standin';

describe('app: target power (target_power, target_power_mode) under the balancer', () => {
  let homey: StandinHomey;
  let clock: ManualClock;
  let emu: GoeEmulator;
  let app: PhaseGuardApp;
  let device: GoeDevice;

  async function boot(car: { phases: 1 | 3 }): Promise<void> {
    clock = useAppClock();
    emu = await startGoeEmulator({ maxCurrentA: 32, phases: car.phases });
    homey = balancerHomey();
    ({ app, device } = await startAppWithGoe(homey, emu));
  }

  /** One second: the car follows, the device polls, the meter reports house + car, the app ticks. */
  const second = (houseA: [number, number, number] = [3, 3, 3]): Promise<void> => goeSecond({ clock, emu, device, homey, app }, houseA);

  async function seconds(n: number, houseA?: [number, number, number]): Promise<void> {
    for (let s = 0; s < n; s++) await second(houseA);
  }

  /** The "Set the target power" card in a Flow. */
  const setTarget = (watts: number): Promise<unknown> => homey.flow.runCapabilityAction('target_power_set', { device, target_power: watts });
  const chargerId = (): string => device.getCharger().id;
  const limitedCards = (): number[] => homey.flow.triggersOf('goe_balancer_limited').map((t) => t.tokens.limit as number);

  afterEach(() => endAppTest(homey, emu));

  describe('a three-phase car', () => {
    beforeEach(async () => {
      await boot({ phases: 3 });
      await seconds(30); // balanced up to the charger's maximum (16 A)
      assert.strictEqual(emu.offeredA, 16);
    });

    it('a flow sets target_power: the charger\'s limit follows (6900 W / 230 V / 3 phases = 10 A), the mode turns to Homey', async () => {
      assert.strictEqual(device.getCapabilityValue('target_power_mode'), 'device', 'Automatic until Homey takes over');
      await setTarget(6900);
      assert.strictEqual(device.getCapabilityValue('target_power_mode'), 'homey');
      assert.strictEqual(device.getCapabilityValue('target_power'), 6900);
      await seconds(2);
      assert.strictEqual(emu.offeredA, 10, 'the balancer wrote the target\'s current at once (a lower maximum)');
      assert.strictEqual(device.getCapabilityValue('charger_current_limit'), 10);
      assert.strictEqual(device.getCapabilityValue(BELOW_TARGET_CAPABILITY), false);
      assert.deepStrictEqual(limitedCards(), [], 'following the target is not "the balancer limited this charger"');
      await seconds(60);
      assert.strictEqual(emu.offeredA, 10, 'the target is the maximum: the balancer does not raise it back to 16 A');
      await setTarget(11040);
      await seconds(15);
      assert.strictEqual(emu.offeredA, 16, 'a higher target: raised within the headroom, in the balancer\'s steps');
      assert.strictEqual(device.getCapabilityValue(BELOW_TARGET_CAPABILITY), false);
    });

    it('with a house load the fuse caps it below the target, and the device says so until the load goes', async () => {
      await setTarget(11040); // 16 A
      await seconds(5);
      assert.strictEqual(device.getCapabilityValue(BELOW_TARGET_CAPABILITY), false);
      await seconds(3, [3, 17, 3]); // L2: 25 A fuse − 1 A margin − 17 A house = 7 A for the car
      assert.strictEqual(emu.offeredA, 7, 'the balancer\'s limit wins over the target');
      assert.strictEqual(device.getCapabilityValue('charger_current_limit'), 7);
      assert.strictEqual(device.getCapabilityValue(BELOW_TARGET_CAPABILITY), true, 'the device says it is held below the target');
      assert.deepStrictEqual(app.chargers.targetState(device), { balanced: true, heldBelowTarget: true });
      assert.deepStrictEqual(limitedCards(), [7], 'and "the balancer limited this charger" fires for the cut');
      await seconds(30, [3, 3, 3]);
      assert.strictEqual(emu.offeredA, 16, 'restored up to the target, not beyond');
      assert.strictEqual(device.getCapabilityValue(BELOW_TARGET_CAPABILITY), false);
    });

    it('a target the fuse cannot give from the start: held at the headroom, shown; never above the target either', async () => {
      await seconds(3, [3, 14, 3]); // 10 A left on L2
      assert.strictEqual(emu.offeredA, 10);
      await setTarget(8280); // 12 A
      await seconds(20, [3, 14, 3]);
      assert.strictEqual(emu.offeredA, 10);
      assert.strictEqual(device.getCapabilityValue(BELOW_TARGET_CAPABILITY), true);
      await setTarget(4830); // 7 A: below the headroom
      await seconds(2, [3, 14, 3]);
      assert.strictEqual(emu.offeredA, 7);
      assert.strictEqual(device.getCapabilityValue(BELOW_TARGET_CAPABILITY), false);
    });

    it('a target below the minimum pauses the charger (the balancer does); a higher one resumes it once the headroom held', async () => {
      await setTarget(3000); // 4.3 A on three phases: below 6 A
      await seconds(3);
      assert.strictEqual(emu.allowed, false, 'paused');
      assert.strictEqual(device.getCapabilityValue('evcharger_charging'), false);
      assert.strictEqual(device.getCapabilityValue(BELOW_TARGET_CAPABILITY), false, 'paused for the target, not held by the fuse');
      assert.deepStrictEqual(limitedCards(), [], 'a pause for the target is not "the balancer limited this charger"');
      await setTarget(6900);
      await seconds(60);
      assert.strictEqual(emu.allowed, true, 'resumed by the balancer after its resume window');
      assert.strictEqual(emu.offeredA, 10);
    });

    it('target 0 W stops charging (the card switches evcharger_charging off); the next target starts it again', async () => {
      await setTarget(0);
      await seconds(2);
      assert.strictEqual(emu.allowed, false);
      await seconds(30);
      assert.strictEqual(emu.allowed, false, 'the balancer leaves a stopped charger alone');
      await setTarget(6900);
      await seconds(5);
      assert.strictEqual(emu.allowed, true);
      assert.strictEqual(emu.offeredA, 10);
    });

    it('the mode back to Automatic ends the target: the balancer raises the charger to its own maximum again', async () => {
      await setTarget(6900);
      await seconds(2);
      assert.strictEqual(emu.offeredA, 10);
      await device.triggerCapabilityListener('target_power_mode', 'device');
      await seconds(15);
      assert.strictEqual(emu.offeredA, 16);
    });

    it('unplugging ends the target: the mode returns to Automatic and the next car charges at the charger\'s maximum', async () => {
      await setTarget(6900);
      await seconds(2);
      emu.unplug();
      await seconds(2);
      assert.strictEqual(device.getCapabilityValue('target_power_mode'), 'device');
      assert.deepStrictEqual(app.chargers.targetState(device), { balanced: true, heldBelowTarget: false });
      emu.plugIn({ maxCurrentA: 32, phases: 3 });
      await seconds(40);
      assert.strictEqual(emu.offeredA, 16);
    });

    it('the mode and the target in two batches (as Homey may send them) and as a slider change: the same result', async () => {
      await standin(device).triggerCapabilityListeners({ target_power_mode: 'homey' });
      await standin(device).triggerCapabilityListeners({ target_power: 6900 });
      await seconds(2);
      assert.strictEqual(emu.offeredA, 10);
      await device.triggerCapabilityListener('target_power', 8280);
      await seconds(5);
      assert.strictEqual(emu.offeredA, 12);
    });

    it('balancing off: nobody balances the charger, so the device writes the target\'s current itself', async () => {
      await homey.flow.runAction('balancer_set_enabled', { state: 'off' });
      await setTarget(6900);
      await (emu.clock as ManualClock).advance(1000);
      assert.strictEqual(emu.offeredA, 10);
      assert.deepStrictEqual(app.chargers.targetState(device), { balanced: false, heldBelowTarget: false });
      await homey.flow.runAction('balancer_set_enabled', { state: 'on' });
      await seconds(30);
      assert.strictEqual(emu.offeredA, 10, 'balanced again: the target stays its maximum');
    });

    it('survives a restart of the device, and the controller keeps the maximum in its saved state', async () => {
      await setTarget(6900);
      await seconds(3);
      const state = homey.settings.get('controllerState') as { chargers: Record<string, { targetMaxA?: number }> };
      assert.strictEqual(state.chargers[chargerId()].targetMaxA, 10);
      device = (await restartDevice(device)) as GoeDevice;
      await device.poll();
      assert.strictEqual(device.getCapabilityValue('target_power_mode'), 'homey');
      await seconds(60);
      assert.strictEqual(emu.offeredA, 10);
      await setTarget(8280);
      await seconds(5);
      assert.strictEqual(emu.offeredA, 12, 'the restarted device follows new targets');
    });
  });

  describe('a one-phase car', () => {
    beforeEach(async () => {
      await boot({ phases: 1 });
      await seconds(30);
    });

    it('the target counts on the phase the car draws on: 2300 W = 10 A on one phase', async () => {
      await setTarget(2300);
      await seconds(5);
      assert.strictEqual(emu.offeredA, 10);
      await setTarget(3000); // 13 A on one phase (4.3 A on three would pause)
      await seconds(5);
      assert.strictEqual(emu.allowed, true);
      assert.strictEqual(emu.offeredA, 13);
    });
  });
});
