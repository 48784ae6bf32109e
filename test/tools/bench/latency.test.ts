/**
 * The latency bench (tools/bench/latency.ts) runs end to end on a few telegrams: both meters over loopback through live
 * mode, every telegram decided, the markdown section with issue 16's Done-when row. No timing assertion: the numbers
 * are `npm run bench`'s (docs/benchmarks.md).
 */
import assert from 'assert';
import { measureLatency, renderLatency } from '../../../tools/bench/latency';

describe('tools/bench/latency: a telegram to a balancer decision (HomeWizard v2 WebSocket, P1 TCP)', function () {
  this.timeout(60_000);

  it('measures both meters, each telegram to a decision, and renders the section with the Done-when row', async () => {
    const results = await measureLatency(8);
    assert.deepStrictEqual(results.map((r) => [r.meter, r.sent, r.decided]), [
      ['HomeWizard API v2 (WebSocket over TLS)', 8, 8],
      ['raw P1 telegrams over TCP', 8, 8],
    ]);
    for (const r of results) assert.ok(r.p50Ms <= r.p95Ms && r.p95Ms <= r.maxMs, `${r.meter}: percentiles in order`);
    const md = renderLatency(results);
    assert.match(md, /^## Meter latency: a telegram to a balancer decision \(issue 16\)/);
    assert.match(md, /\| HomeWizard API v2 \(WebSocket over TLS\) \| 8 \| 8 \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
    assert.match(md, /\| end-to-end latency from a telegram to a balancer decision, target < 200 ms .* \| NO \|$/m, 'fewer than 200 telegrams never meets the line');
  });
});
