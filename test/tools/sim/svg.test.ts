import assert from 'assert';
import { decimate, niceStep, renderSvgChart } from '../../../tools/sim/svg';

describe('tools/sim/svg', () => {
  it('draws one path per series, the reference lines, markers and escaped labels', () => {
    const svg = renderSvgChart({
      title: 'L1 <&> test',
      series: [
        { name: 'a', color: '#000', points: [[0, 1], [1, 2], [2, 3]] },
        { name: 'b', color: '#f00', points: [[0, 5], [2, 5]], dash: '4 2' },
      ],
      lines: [{ y: 25, label: 'fuse 25 A', color: '#d00' }],
      markers: [{ x: 1, label: 'paused', color: '#d00' }],
    });
    assert.strictEqual((svg.match(/<path /g) ?? []).length, 2);
    assert.match(svg, /L1 &lt;&amp;&gt; test/);
    assert.match(svg, /fuse 25 A/);
    assert.match(svg, /<title>paused<\/title>/);
    assert.match(svg, /stroke-dasharray="4 2"/);
    assert.ok(svg.trim().endsWith('</svg>'));
  });

  it('decimation keeps the peaks, the ends and the order', () => {
    const pts: [number, number][] = Array.from({ length: 10_000 }, (_, i) => [i, i === 4321 ? 99 : i === 777 ? -5 : 1]);
    const d = decimate(pts, 200);
    assert.ok(d.length <= 202);
    assert.ok(d.some((p) => p[1] === 99) && d.some((p) => p[1] === -5));
    assert.deepStrictEqual(d[0], [0, 1]);
    assert.deepStrictEqual(d[d.length - 1], [9999, 1]);
    for (let i = 1; i < d.length; i++) assert.ok(d[i][0] > d[i - 1][0]);
  });

  it('picks round tick steps', () => {
    assert.deepStrictEqual([niceStep(30), niceStep(180), niceStep(0.9)], [5, 50, 0.2]);
  });
});
