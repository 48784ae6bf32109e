/**
 * The demo's HTML report: a summary table and SVG charts (per phase: house, meter and fuse; per
 * charger: allowed and drawn current with the balancer's events). Self-contained, no external resources.
 */
import { renderSvgChart, type ChartMarker } from '../sim/svg';
import type { DemoResult } from './demo';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const hours = (s: number): number => Math.round((s / 3600) * 1000) / 1000;
const fmt = (n: number, d = 1): string => n.toFixed(d);

const EVENT_COLORS: Record<string, string> = {
  reduced: '#d1495b',
  restored: '#2a9d8f',
  paused: '#8338ec',
  resumed: '#3a86ff',
  meterStale: '#ff9f1c',
  overloadUnresolved: '#000000',
};
const CHARGER_COLORS = ['#0b6e4f', '#e07a5f', '#3d405b', '#81b29a'];

export function summaryLines(r: DemoResult): string[] {
  const lines = [
    `trace ${r.traceName}: ${fmt(r.durationS / 3600, 2)} h simulated in ${fmt(r.wallMs / 1000)} s, main fuse ${r.fuseA} A, margin ${r.marginA} A`,
    `overload at the meter: ${fmt(r.overloadAmpSeconds, 0)} A·s with the balancer vs ${fmt(r.unbalancedOverloadAmpSeconds, 0)} A·s without (both cars at 16 A); highest phase ${fmt(r.maxPhaseA)} A`,
    `energy charged: ${fmt(r.energyKWh, 2)} kWh`,
  ];
  for (const c of r.chargers) {
    lines.push(`  ${c.name} (${c.phases}): ${fmt(c.energyKWh, 2)} kWh, ${c.writes} writes, ${c.pauses} pauses`);
  }
  lines.push(`balancer events: ${r.events.length}`);
  return lines;
}

export function renderDemoReport(r: DemoResult): string {
  const x = r.series.simS.map(hours);
  const markers: ChartMarker[] = r.events
    .filter((e) => e.type !== 'restored')
    .slice(0, 200)
    .map((e) => ({ x: hours(e.simS), label: e.type, color: EVENT_COLORS[e.type] ?? '#555' }));
  const phaseCharts = [0, 1, 2].map((p) => {
    const series = [
      { name: `house without EV L${p + 1}`, color: '#999999', points: x.map((t, i): [number, number] => [t, r.series.houseA[p][i]]) },
      { name: `meter L${p + 1}`, color: '#08415c', points: x.map((t, i): [number, number] => [t, r.series.meterA[p][i]]) },
    ];
    return renderSvgChart({
      title: `Phase L${p + 1}: current at the meter against the fuse`,
      series,
      lines: [
        { y: r.fuseA, label: `fuse ${r.fuseA} A`, color: '#d1495b' },
        { y: r.fuseA - r.marginA, label: `fuse − margin`, color: '#ff9f1c' },
      ],
      xLabel: 'hours',
      yLabel: 'A',
    });
  });
  const chargerChart = renderSvgChart({
    title: 'Chargers: allowed (dashed) and drawn current, with balancer events',
    series: r.chargers.flatMap((c, i) => [
      { name: `${c.name} allowed`, color: CHARGER_COLORS[i % CHARGER_COLORS.length], dash: '6 3', points: x.map((t, k): [number, number] => [t, r.series.allowedA[c.id][k]]) },
      { name: `${c.name} drawn`, color: CHARGER_COLORS[i % CHARGER_COLORS.length], points: x.map((t, k): [number, number] => [t, r.series.drawnA[c.id][k]]) },
    ]),
    markers,
    xLabel: 'hours',
    yLabel: 'A',
  });
  const eventRows = r.events
    .slice(0, 300)
    .map((e) => `<tr><td>${fmt(e.simS / 3600, 3)} h</td><td>${esc(e.type)}</td><td>${esc(e.reason)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>PhaseGuard EV demo report</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:1100px;color:#222}
h1{font-size:1.4rem} svg{max-width:100%;height:auto;border:1px solid #ddd;margin:.5rem 0}
table{border-collapse:collapse;font-size:.9rem} td,th{border-bottom:1px solid #eee;padding:.2rem .6rem;text-align:left}
pre{background:#f6f6f6;padding:.8rem;white-space:pre-wrap}
</style></head><body>
<h1>PhaseGuard EV — demo report</h1>
<p>The real controller and balancer drove a go-e and a Charge Amps emulator over HTTP, fed by the recorded P1
trace <code>${esc(r.traceName)}</code> replayed on a virtual clock.</p>
<pre>${summaryLines(r).map(esc).join('\n')}</pre>
${phaseCharts.join('\n')}
${chargerChart}
<h2>Balancer events${r.events.length > 300 ? ' (first 300)' : ''}</h2>
<table><thead><tr><th>time</th><th>event</th><th>reason</th></tr></thead><tbody>
${eventRows}
</tbody></table>
</body></html>
`;
}
