/**
 * Local v1 writes are confirmed only by the value in the status the charger answers: a key missing from that
 * status is never taken as confirmed. fw 040.0 takes `amx` without listing it (its value shows in `amp`).
 */
import assert from 'assert';
import { ManualClock } from '../../../lib/clock';
import { PeerError } from '../../../lib/errors';
import { GoeClient } from '../../../lib/goe/client';
import { HttpRequest, HttpResponse } from '../../../lib/http';
import { emulator, local, sets, stopEmulators } from './harness';

/** A v1 fw 040.0 status as the charger sends it: no `amx`, the current in `amp`. */
const fw040 = (): Record<string, unknown> => ({
  sse: '012345', fwv: '040.0', car: '2', amp: '16', alw: '1', err: '0', pha: '63', ama: '32', cbl: '32',
  nrg: [230, 230, 230, 0, 160, 160, 160, 37, 37, 37, 0, 1100, 0, 0, 0, 0], eto: '100', dws: '0', dwo: '0', stp: '0',
});

/** A v1 charger that answers every request with `answer()` and applies nothing. */
function unchanging(answer: () => Record<string, unknown>): GoeClient {
  const transport = async (_req: HttpRequest): Promise<HttpResponse> => ({ status: 200, headers: {}, text: JSON.stringify(answer()) });
  return new GoeClient({ kind: 'local', host: '192.168.1.20', api: 'v1' }, { transport, clock: new ManualClock(), minGapMs: 0 });
}

describe('lib/goe local v1: a write is confirmed only by the value the answer shows', () => {
  afterEach(() => stopEmulators());

  it('fw 040.0: an amx write the charger did not apply (amp unchanged) fails', async () => {
    const client = unchanging(fw040);
    await client.getSnapshot();
    await assert.rejects(client.setCurrentLimit(8), (err: unknown) => err instanceof PeerError && /amx=8 \(still 16\)/.test(err.message));
    assert.strictEqual(client.lastSnapshot, undefined, 'the failed write leaves no status that claims 8 A');
  });

  it('fw 040.0 (emulator): an amx write is confirmed by amp', async () => {
    const emu = await emulator({ profile: 'v1-040' });
    const client = local(emu, 'v1');
    await client.setCurrentLimit(8);
    assert.deepStrictEqual(sets(emu), ['amx=8']);
    assert.strictEqual(client.lastSnapshot?.status.currentLimitA, 8);
    assert.strictEqual((await client.getSnapshot()).status.currentLimitA, 8);
  });

  it('a key missing from the answer (not amx) is a failed write, one line naming the key', async () => {
    const client = unchanging(() => ({ ...fw040(), alw: undefined }));
    await client.getSnapshot();
    await assert.rejects(client.pause(), (err: unknown) => err instanceof PeerError && err.message === 'go-e did not confirm alw=0: its answer has no alw');
  });
});
