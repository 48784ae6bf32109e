/**
 * The demo report's charts: dependency-free SVG step charts with clock times on the x axis, event
 * markers in a strip above the plot, and legends in HTML (they wrap on a phone and never overlap).
 * Each chart is rendered twice, wide for a desktop and narrow for a phone, so that its text is about
 * 12–14 px on either screen; CSS shows the one that fits (see report.ts).
 *
 * Nothing is labelled inside the plot: tick labels are spaced by their own width, and what a line or
 * marker means is said by the legend, which draws each item exactly as the chart does.
 */
import type { BalancerEventType } from '../../lib/balancer/types';

export type SeriesStyle = 'area' | 'line' | 'dashed' | 'dotted' | 'thin';
export type MarkerKind = BalancerEventType | 'overFuse';

export interface ChartSeries {
  name: string;
  color: string;
  style: SeriesStyle;
  /** One value per x (A). */
  values: number[];
}

export interface ChartLine {
  name: string;
  color: string;
  y: number;
  style: 'dashed' | 'dotted';
}

export interface ChartMarker {
  simS: number;
  kind: MarkerKind;
  /** Tooltip: the time and what happened. */
  title: string;
  /** Where on the y axis (A); absent: in the strip above the plot. */
  y?: number;
}

export interface ChartSpec {
  /** Said to screen readers (aria-label). */
  title: string;
  startMs: number;
  /** Simulated seconds of each value. */
  xS: number[];
  endS: number;
  series: ChartSeries[];
  lines?: ChartLine[];
  markers?: ChartMarker[];
}

export interface ChartSize {
  name: 'wide' | 'narrow';
  width: number;
  height: number;
  fontPx: number;
}

export const WIDE: ChartSize = { name: 'wide', width: 960, height: 300, fontPx: 14 };
export const NARROW: ChartSize = { name: 'narrow', width: 360, height: 250, fontPx: 12.5 };

/** Colour, legend label and the short word of the events table, per marker kind. */
export const MARKER_STYLE: Record<MarkerKind, { color: string; label: string; short: string }> = {
  reduced: { color: '#c1121f', label: 'cut (current lowered)', short: 'cut' },
  restored: { color: '#2a9d8f', label: 'raised', short: 'raised' },
  paused: { color: '#7b2cbf', label: 'paused', short: 'paused' },
  resumed: { color: '#1d4ed8', label: 'resumed', short: 'resumed' },
  meterStale: { color: '#e07a00', label: 'meter went stale (no fresh reading)', short: 'meter stale' },
  overloadUnresolved: { color: '#111111', label: 'overload it could not resolve', short: 'unresolved overload' },
  overFuse: { color: '#c1121f', label: 'over the fuse', short: 'over the fuse' },
};

export const EVENT_KINDS: BalancerEventType[] = ['reduced', 'restored', 'paused', 'resumed', 'meterStale', 'overloadUnresolved'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n1 = (v: number): string => String(Math.round(v * 10) / 10);

/** HH:MM of the demo's clock (UTC, so the report is the same everywhere). */
export function clockOf(startMs: number, simS: number, seconds = false): string {
  return new Date(startMs + simS * 1000).toISOString().slice(11, seconds ? 19 : 16);
}

/** The SVG shape of a marker centred on (x, y) with half-size r. */
export function markerShape(kind: MarkerKind, x: number, y: number, r: number): string {
  const c = MARKER_STYLE[kind].color;
  const p = (pts: [number, number][]): string => pts.map(([a, b]) => `${n1(x + a * r)},${n1(y + b * r)}`).join(' ');
  switch (kind) {
    case 'reduced':
      return `<polygon points="${p([[-1, -0.8], [1, -0.8], [0, 0.9]])}" fill="${c}"/>`;
    case 'restored':
      return `<polygon points="${p([[-1, 0.8], [1, 0.8], [0, -0.9]])}" fill="${c}"/>`;
    case 'paused':
      return `<rect x="${n1(x - 0.9 * r)}" y="${n1(y - r)}" width="${n1(0.65 * r)}" height="${n1(2 * r)}" fill="${c}"/><rect x="${n1(x + 0.25 * r)}" y="${n1(y - r)}" width="${n1(0.65 * r)}" height="${n1(2 * r)}" fill="${c}"/>`;
    case 'resumed':
      return `<polygon points="${p([[-0.8, -1], [-0.8, 1], [0.95, 0]])}" fill="${c}"/>`;
    case 'meterStale':
      return `<polygon points="${p([[0, -1], [1, 0], [0, 1], [-1, 0]])}" fill="${c}"/>`;
    case 'overloadUnresolved':
      return `<path d="M${n1(x - r)},${n1(y - r)}L${n1(x + r)},${n1(y + r)}M${n1(x + r)},${n1(y - r)}L${n1(x - r)},${n1(y + r)}" stroke="${c}" stroke-width="${n1(r * 0.55)}" stroke-linecap="round"/>`;
    case 'overFuse':
      return `<circle cx="${n1(x)}" cy="${n1(y)}" r="${n1(r * 1.3)}" fill="none" stroke="${c}" stroke-width="2.5"/>`;
  }
}

/** Stroke attributes of a series or reference line style. */
function strokeOf(style: SeriesStyle | ChartLine['style'], color: string): string {
  switch (style) {
    case 'area':
      return `stroke="${color}" stroke-width="1.2"`;
    case 'line':
      return `stroke="${color}" stroke-width="2"`;
    case 'dashed':
      return `stroke="${color}" stroke-width="2.5" stroke-dasharray="9 5"`;
    case 'dotted':
      return `stroke="${color}" stroke-width="2.5" stroke-dasharray="1 5" stroke-linecap="round"`;
    case 'thin':
      return `stroke="${color}" stroke-width="1.2" stroke-opacity="0.8"`;
  }
}

/** A legend swatch drawn like the chart draws the item (inline SVG, 34×14). */
export function swatch(item: { style: SeriesStyle | ChartLine['style'] | 'marker'; color: string; kind?: MarkerKind }): string {
  const body =
    item.style === 'marker' && item.kind
      ? markerShape(item.kind, 17, 7, 5.5)
      : `${item.style === 'area' ? `<rect x="1" y="6" width="32" height="8" fill="${item.color}" fill-opacity="0.3"/>` : ''}<line x1="1" x2="33" y1="${item.style === 'area' ? 6 : 7}" y2="${item.style === 'area' ? 6 : 7}" ${strokeOf(item.style as SeriesStyle, item.color)}/>`;
  return `<svg class="swatch" width="34" height="14" viewBox="0 0 34 14" aria-hidden="true">${body}</svg>`;
}

/** Round step (1, 2, 5 × 10^k) with at most `count` steps over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  for (const f of [1, 2, 5, 10]) if (f * mag >= raw) return f * mag;
  return 10 * mag;
}

const CLOCK_STEPS_MIN = [5, 10, 15, 30, 60, 120, 180, 240, 360, 720];

/** Min and max of each pixel column, in order, so peaks survive at any width. */
function decimate(pts: [number, number][], columns: number, x0: number, x1: number): [number, number][] {
  if (pts.length <= columns * 2) return pts;
  const out: [number, number][] = [];
  let col = -1;
  let lo: [number, number] | null = null;
  let hi: [number, number] | null = null;
  const flush = (): void => {
    if (!lo || !hi) return;
    if (lo === hi) out.push(lo);
    else out.push(...(lo[0] <= hi[0] ? [lo, hi] : [hi, lo]));
  };
  for (const pt of pts) {
    const c = Math.floor(((pt[0] - x0) / (x1 - x0 || 1)) * columns);
    if (c !== col) {
      flush();
      col = c;
      lo = hi = pt;
    } else {
      if (pt[1] < lo![1]) lo = pt;
      if (pt[1] > hi![1]) hi = pt;
    }
  }
  flush();
  const last = pts[pts.length - 1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

/** One chart as an SVG element of the given size. */
export function renderChart(spec: ChartSpec, size: ChartSize): string {
  const { width, height, fontPx: f } = size;
  const markers = spec.markers ?? [];
  const stripMarkers = markers.filter((m) => m.y === undefined);
  const r = f * 0.42;
  const rows = stripMarkers.length ? 3 : 0;
  const strip = rows ? rows * (2 * r + 3) + 4 : 0;
  const m = { left: f * 2.6, right: f * 0.8, top: f * 2 + strip, bottom: f * 2 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const x0 = 0;
  const x1 = Math.max(1, spec.endS);
  const values = [...spec.series.flatMap((s) => s.values), ...(spec.lines ?? []).map((l) => l.y), 0];
  const yMaxRaw = Math.max(...values);
  const yMinRaw = Math.min(...values);
  const yStep = niceStep(yMaxRaw - yMinRaw || 1, Math.max(2, Math.floor(plotH / (f * 2.2))));
  const yMin = Math.floor(yMinRaw / yStep) * yStep;
  const yMax = Math.ceil(yMaxRaw / yStep) * yStep || yStep;
  const sx = (s: number): number => m.left + ((s - x0) / (x1 - x0)) * plotW;
  const sy = (a: number): number => m.top + plotH - ((a - yMin) / (yMax - yMin)) * plotH;

  const out: string[] = [];
  out.push(`<svg class="chart chart-${size.name}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(spec.title)}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="${f}">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  // y grid and labels; the unit above the axis
  for (let a = yMin; a <= yMax + 1e-9; a += yStep) {
    const y = n1(sy(a));
    out.push(`<line x1="${n1(m.left)}" x2="${n1(m.left + plotW)}" y1="${y}" y2="${y}" stroke="${a === 0 ? '#bbb' : '#eee'}"/>`);
    out.push(`<text x="${n1(m.left - f * 0.4)}" y="${n1(sy(a) + f * 0.35)}" text-anchor="end" fill="#444">${n1(a)}</text>`);
  }
  out.push(`<text x="${n1(m.left - f * 0.4)}" y="${n1(m.top - strip - f)}" text-anchor="end" fill="#444">A</text>`);
  // x ticks: clock times, as many as fit without touching
  const maxTicks = Math.max(2, Math.floor(plotW / (f * 4.2)));
  const spanMin = (x1 - x0) / 60;
  const stepMin = CLOCK_STEPS_MIN.find((s) => spanMin / s <= maxTicks) ?? CLOCK_STEPS_MIN[CLOCK_STEPS_MIN.length - 1];
  const startMin = spec.startMs / 60000;
  const labelW = f * 3.1; // "08:30" in a sans-serif font
  let lastRight = -Infinity;
  for (let t = Math.ceil(startMin / stepMin) * stepMin; t <= startMin + spanMin + 1e-9; t += stepMin) {
    const s = (t - startMin) * 60;
    const x = sx(s);
    out.push(`<line x1="${n1(x)}" x2="${n1(x)}" y1="${n1(m.top + plotH)}" y2="${n1(m.top + plotH + 4)}" stroke="#999"/>`);
    const anchor = x - labelW / 2 < m.left - f * 0.3 ? 'start' : x + labelW / 2 > width ? 'end' : 'middle';
    const left = anchor === 'start' ? x : anchor === 'end' ? x - labelW : x - labelW / 2;
    if (left < lastRight + f * 0.8) continue; // a label that would touch the one before is left out (its tick stays)
    lastRight = left + labelW;
    out.push(`<text x="${n1(x)}" y="${n1(m.top + plotH + f * 1.35)}" text-anchor="${anchor}" fill="#444">${clockOf(spec.startMs, s)}</text>`);
  }
  out.push(`<rect x="${n1(m.left)}" y="${n1(m.top)}" width="${n1(plotW)}" height="${n1(plotH)}" fill="none" stroke="#999"/>`);
  // reference lines, then the series (areas first), then markers on top
  for (const l of spec.lines ?? []) {
    out.push(`<line class="ref" x1="${n1(m.left)}" x2="${n1(m.left + plotW)}" y1="${n1(sy(l.y))}" y2="${n1(sy(l.y))}" ${strokeOf(l.style, l.color)}><title>${esc(l.name)}</title></line>`);
  }
  const ordered = [...spec.series].sort((a, b) => Number(b.style === 'area') - Number(a.style === 'area'));
  for (const s of ordered) {
    const pts = decimate(spec.xS.map((x, i): [number, number] => [x, s.values[i]]), Math.round(plotW), x0, x1);
    if (!pts.length) continue;
    let d = `M${n1(sx(pts[0][0]))},${n1(sy(pts[0][1]))}`;
    for (let i = 1; i < pts.length; i++) d += `H${n1(sx(pts[i][0]))}V${n1(sy(pts[i][1]))}`;
    d += `H${n1(sx(x1))}`;
    if (s.style === 'area') {
      out.push(`<path d="${d}V${n1(sy(Math.max(yMin, 0)))}H${n1(sx(pts[0][0]))}Z" fill="${s.color}" fill-opacity="0.3" stroke="none"/>`);
    }
    out.push(`<path class="series" d="${d}" fill="none" ${strokeOf(s.style, s.color)} stroke-linejoin="round"><title>${esc(s.name)}</title></path>`);
  }
  // strip markers: events of one kind closer than a marker's width are drawn once (the tooltip lists
  // them all); a marker that would touch one before it goes to the next row
  const clusters: { x: number; kind: MarkerKind; titles: string[] }[] = [];
  const lastOfKind = new Map<MarkerKind, { x: number; kind: MarkerKind; titles: string[] }>();
  for (const mk of [...stripMarkers].sort((a, b) => a.simS - b.simS)) {
    const x = sx(mk.simS);
    const prev = lastOfKind.get(mk.kind);
    if (prev && x - prev.x < 2 * r) {
      prev.titles.push(mk.title);
      continue;
    }
    const c = { x, kind: mk.kind, titles: [mk.title] };
    clusters.push(c);
    lastOfKind.set(mk.kind, c);
  }
  const lastX: number[] = new Array(rows).fill(-Infinity);
  for (const mk of clusters) {
    const x = mk.x;
    let row = lastX.findIndex((lx) => x - lx >= 2 * r + 1);
    if (row < 0) row = lastX.indexOf(Math.min(...lastX));
    lastX[row] = x;
    const y = m.top - strip + 2 + r + row * (2 * r + 3);
    out.push(`<g class="marker" data-kind="${mk.kind}" data-count="${mk.titles.length}"><title>${esc(mk.titles.join('\n'))}</title><line x1="${n1(x)}" x2="${n1(x)}" y1="${n1(y + r)}" y2="${n1(m.top + plotH)}" stroke="${MARKER_STYLE[mk.kind].color}" stroke-opacity="0.25"/>${markerShape(mk.kind, x, y, r)}</g>`);
  }
  for (const mk of markers.filter((k) => k.y !== undefined)) {
    out.push(`<g class="marker" data-kind="${mk.kind}"><title>${esc(mk.title)}</title>${markerShape(mk.kind, sx(mk.simS), sy(mk.y!), r)}</g>`);
  }
  out.push('</svg>');
  return out.join('');
}

export interface LegendItem {
  label: string;
  style: SeriesStyle | ChartLine['style'] | 'marker';
  color: string;
  kind?: MarkerKind;
}

/** The legend under a chart: each item with a swatch drawn like the chart draws it. */
export function legendHtml(items: LegendItem[]): string {
  const li = items.map((it) => `<li class="legend-item" data-style="${it.style}"${it.kind ? ` data-kind="${it.kind}"` : ''}>${swatch(it)}<span>${esc(it.label)}</span></li>`);
  return `<ul class="legend">${li.join('')}</ul>`;
}

/** Legend items of the series and lines of a chart. */
export function legendOf(spec: ChartSpec): LegendItem[] {
  return [
    ...spec.series.map((s): LegendItem => ({ label: s.name, style: s.style, color: s.color })),
    ...(spec.lines ?? []).map((l): LegendItem => ({ label: l.name, style: l.style, color: l.color })),
  ];
}
