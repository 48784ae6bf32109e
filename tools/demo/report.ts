/**
 * The demo's HTML report (`npm start` writes out/demo-report.html): a summary in plain words first
 * (reportText.ts), then charts with clock times — each phase against the fuse, each charger's allowed
 * and drawn current with the balancer's events — and the list of events. Self-contained (no external
 * resource, no script); every chart comes wide and narrow so its text stays readable on a phone.
 */
import type { DemoResult } from './demo';
import {
  EVENT_KINDS, MARKER_STYLE, NARROW, WIDE, clockOf, legendHtml, legendOf, renderChart, swatch,
  type ChartMarker, type ChartSpec, type LegendItem, type MarkerKind,
} from './reportChart';
import { summarise } from './reportText';

export { summaryLines } from './reportText';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS = {
  house: '#8d99ae',
  meter: '#08415c',
  unbalanced: '#e5989b',
  fuse: '#c1121f',
  limit: '#e07a00',
  chargers: ['#0b6e4f', '#6a4c93', '#3d405b', '#b5651d'],
};

/** A legend entry for every event kind, with how often it happened on this chart ("none" too). */
function eventLegend(markers: ChartMarker[], kinds: MarkerKind[]): LegendItem[] {
  return kinds.map((kind) => {
    const n = markers.filter((m) => m.kind === kind).length;
    return { label: `${MARKER_STYLE[kind].label}: ${n === 0 ? 'none' : n}`, style: 'marker', color: MARKER_STYLE[kind].color, kind };
  });
}

function figure(id: string, heading: string, caption: string, spec: ChartSpec, legend: LegendItem[]): string {
  return `<figure class="chart-block" id="${id}">
<figcaption><h3>${esc(heading)}</h3><p>${esc(caption)}</p></figcaption>
${renderChart(spec, WIDE)}
${renderChart(spec, NARROW)}
${legendHtml(legend)}
</figure>`;
}

function phaseFigures(r: DemoResult): string[] {
  const s = r.series;
  return [0, 1, 2].map((p) => {
    const stretches = r.fuse.balanced.stretches.filter((st) => st.phase === p);
    const markers: ChartMarker[] = stretches.map((st) => ({
      simS: st.startS,
      y: st.peakA,
      kind: 'overFuse',
      title: `${clockOf(r.startMs, st.startS, true)}: ${st.peakA} A for ${st.durationS} s`,
    }));
    const spec: ChartSpec = {
      title: `Phase L${p + 1}: current at the meter against the ${r.fuseA} A fuse`,
      startMs: r.startMs,
      xS: s.simS,
      endS: r.durationS,
      series: [
        { name: 'the house alone (without the cars)', color: COLORS.house, style: 'area', values: s.houseA[p] },
        { name: 'without balancing: house + both cars at full current', color: COLORS.unbalanced, style: 'thin', values: s.unbalancedA[p] },
        { name: 'at the meter with PhaseGuard EV: house + cars', color: COLORS.meter, style: 'line', values: s.meterA[p] },
      ],
      lines: [
        { name: `main fuse ${r.fuseA} A`, color: COLORS.fuse, y: r.fuseA, style: 'dashed' },
        { name: `the app's limit ${r.fuseA - r.marginA} A (fuse − ${r.marginA} A margin)`, color: COLORS.limit, y: r.fuseA - r.marginA, style: 'dotted' },
      ],
      markers,
    };
    const over = stretches.reduce((n, st) => n + st.durationS, 0);
    const caption = over
      ? `Over the fuse for ${over} s with PhaseGuard EV (circled).`
      : `Never over the fuse with PhaseGuard EV; the highest reading was ${Math.max(...s.meterA[p])} A.`;
    return figure(`chart-L${p + 1}`, `Phase L${p + 1}`, caption, spec, [...legendOf(spec), ...eventLegend(markers, ['overFuse'])]);
  });
}

function chargerFigures(r: DemoResult): string[] {
  const s = r.series;
  return r.chargers.map((c, i) => {
    const color = COLORS.chargers[i % COLORS.chargers.length];
    const markers: ChartMarker[] = r.events
      .filter((e) => e.chargerId === c.id || !e.chargerId)
      .map((e) => ({ simS: e.simS, kind: e.type, title: `${clockOf(r.startMs, e.simS, true)} ${MARKER_STYLE[e.type].label}: ${e.reason}` }));
    const spec: ChartSpec = {
      title: `${c.name}: allowed and drawn current`,
      startMs: r.startMs,
      xS: s.simS,
      endS: r.durationS,
      series: [
        { name: 'drawn by the car', color, style: 'area', values: s.drawnA[c.id] },
        { name: 'allowed by PhaseGuard EV (0 = paused)', color: '#222222', style: 'dashed', values: s.allowedA[c.id] },
      ],
      markers,
    };
    const kind = c.phases.includes(' ') ? `3-phase car on ${c.phases.split(' ').join(', ')}` : `1-phase car on ${c.phases}`;
    const caption = `${kind}; per phase. The marks above the chart are the balancer's events for this charger (and the meter's).`;
    return figure(`chart-charger-${i + 1}`, c.name, caption, spec, [...legendOf(spec), ...eventLegend(markers, EVENT_KINDS)]);
  });
}

function eventRows(r: DemoResult, max: number): string {
  return r.events
    .slice(0, max)
    .map((e) => {
      const kind = MARKER_STYLE[e.type];
      return `<tr data-kind="${e.type}"><td>${clockOf(r.startMs, e.simS, true)}</td><td>${swatch({ style: 'marker', color: kind.color, kind: e.type })} ${esc(kind.short)}</td><td>${esc(e.reason)}</td></tr>`;
    })
    .join('\n');
}

const CSS = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;padding:1.5rem;max-width:1010px;color:#1d1d1f;line-height:1.45;font-size:16px}
h1{font-size:1.5rem;line-height:1.25;margin:.2rem 0 .6rem} h2{font-size:1.2rem;margin:2rem 0 .6rem} h3{font-size:1.05rem;margin:0}
.points{display:grid;gap:.8rem;margin:1rem 0}
.point{border-left:5px solid #0b6e4f;background:#f4f8f6;padding:.7rem 1rem;border-radius:4px}
.point[data-point="fuse"]{border-color:#c1121f;background:#fbf3f3} .point[data-point="chargers"]{border-color:#08415c;background:#f2f6f9}
.point h2{margin:0 0 .3rem;font-size:1.1rem} .point p{margin:.3rem 0}
.spikes{font-size:.95rem;color:#333}
figure{margin:1.2rem 0 2rem} figcaption p{margin:.2rem 0 .5rem;color:#444;font-size:.95rem}
.chart{display:block;max-width:100%;height:auto;border:1px solid #ddd;border-radius:4px}
.chart-narrow{display:none}
@media (max-width:859px){body{padding:12px}.chart-wide{display:none}.chart-narrow{display:block}}
.legend{list-style:none;margin:.5rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;font-size:.9rem}
.legend-item{display:flex;align-items:center;gap:.4rem}
.swatch{flex:none;vertical-align:middle}
table{border-collapse:collapse;width:100%;table-layout:fixed;font-size:.9rem}
td,th{border-bottom:1px solid #eee;padding:.3rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th:nth-child(1){width:5.6em} th:nth-child(2){width:10em}
@media (max-width:859px){.events thead{display:none}.events tr{display:grid;grid-template-columns:5.6em 1fr;border-bottom:1px solid #eee}.events td{border:0}.events td:nth-child(3){grid-column:1/-1;padding-top:0}}
.method{font-size:.85rem;color:#555;margin-top:2rem}
`;

export function renderDemoReport(r: DemoResult): string {
  const s = summarise(r);
  const maxEvents = 300;
  const points = s.points
    .map((p) => {
      const spikes = p.key === 'fuse' && s.spikes.length ? s.spikes.map((t) => `<p class="spikes">${esc(t)}</p>`).join('') : '';
      const text = (p.paragraphs ?? [p.text]).map((t) => `<p>${esc(t)}</p>`).join('');
      return `<section class="point" data-point="${p.key}"><h2>${esc(p.title)}</h2>${text}${spikes}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>PhaseGuard EV demo report</title>
<style>${CSS}</style></head><body>
<header><h1>${esc(s.headline)}</h1><p class="intro">${esc(s.intro)}</p></header>
<div class="points">
${points}
</div>
<h2>Each phase at the meter</h2>
${phaseFigures(r).join('\n')}
<h2>Each charger</h2>
${chargerFigures(r).join('\n')}
<h2>The balancer's events${r.events.length > maxEvents ? ` (first ${maxEvents} of ${r.events.length})` : ''}</h2>
<table class="events"><thead><tr><th>time</th><th>event</th><th>what happened</th></tr></thead><tbody>
${eventRows(r, maxEvents)}
</tbody></table>
<p class="method">${esc(s.method)}</p>
</body></html>
`;
}
