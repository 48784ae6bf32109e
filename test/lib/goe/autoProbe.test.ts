/**
 * `api: 'auto'` falls back to the legacy v1 API only when /api/status is not there (404) or not a go-e v2 answer;
 * a server error (a V3's transient "couldn't take api lock in 3s") fails the read and the next read probes v2 again.
 */
import assert from 'assert';
import { isTransient } from '../../../lib/actuatorRules';
import { PeerError } from '../../../lib/errors';
import { HttpRequest, HttpResponse, nodeFetchTransport } from '../../../lib/http';
import { emulator, local, sets, stopEmulators } from './harness';

describe('lib/goe auto-detection: a server error on /api/status is a failure to retry, not a reason for v1', () => {
  afterEach(() => stopEmulators());

  it('one HTTP 500 on /api/status of a V3: that read fails (transient), the next one speaks v2', async () => {
    const emu = await emulator({ profile: 'v3-051' });
    let failNext = true;
    const transport = async (req: HttpRequest): Promise<HttpResponse> => {
      if (failNext && req.url.includes('/api/status')) {
        failNext = false;
        return { status: 500, headers: {}, text: "couldn't take api lock in 3s, please try again later" };
      }
      return nodeFetchTransport(req);
    };
    const client = local(emu, 'auto', { transport });
    await assert.rejects(client.getSnapshot(), (err: unknown) => err instanceof PeerError && err.status === 500 && isTransient(err));
    assert.strictEqual(client.api, null, 'no API chosen after a server error');
    await client.getSnapshot();
    assert.strictEqual(client.api, 'v2');
    await client.pause();
    assert.deepStrictEqual(sets(emu), ['frc=1']);
    assert.ok(!emu.requests.some((r) => r.path === '/status' || r.path === '/mqtt'), 'the legacy API was never used');
  });

  it('a 404 on /api/status (HW v1/v2) still falls back to v1', async () => {
    const emu = await emulator({ profile: 'v1-020' });
    const client = local(emu, 'auto');
    await client.getSnapshot();
    assert.strictEqual(client.api, 'v1');
  });
});
