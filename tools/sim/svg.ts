/**
 * A small dependency-free SVG line chart: step series, horizontal reference lines and vertical event
 * markers. Used by `npm run sim -- --plot` and reusable by the demo report.
 */

export interface ChartSeries {
  name: string;
  color: string;
  /** [x, y] pairs with increasing x; drawn as a step line (each value holds until the next x). */
  points: [number, number][];
  /** Dash pattern such as "4 2". */
  dash?: string;
}

export interface ChartLine {
  y: number;
  label: string;
  color: string;
}

export interface ChartMarker {
  x: number;
  label: string;
  color: string;
}

export interface ChartOptions {
  title: string;
  series: ChartSeries[];
  lines?: ChartLine[];
  markers?: ChartMarker[];
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Most points drawn per series; longer series are reduced keeping each bucket's min and max. */
  maxPoints?: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (n: number): string => String(Math.round(n * 10) / 10);

/** Round step for axis ticks (1, 2, 5 × 10^k) giving about `count` ticks over `span`. */
export function niceStep(span: number, count = 6): number {
  if (!(span > 0)) return 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** Keep first/last and the min and max of each bucket so that peaks survive (order preserved). */
export function decimate(points: [number, number][], maxPoints: number): [number, number][] {
  if (points.length <= maxPoints) return points;
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const size = points.length / buckets;
  const out: [number, number][] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size);
    const to = Math.min(points.length, Math.floor((b + 1) * size));
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (points[i][1] < points[lo][1]) lo = i;
      if (points[i][1] > points[hi][1]) hi = i;
    }
    for (const i of lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) out.push(points[i]);
  }
  const last = points[points.length - 1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

export function renderSvgChart(opts: ChartOptions): string {
  const width = opts.width ?? 960;
  const height = opts.height ?? 420;
  const m = { left: 56, right: 16, top: 36, bottom: 64 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const series = opts.series.map((s) => ({ ...s, points: decimate(s.points, opts.maxPoints ?? 2000) }));
  const lines = opts.lines ?? [];
  const markers = opts.markers ?? [];

  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...series.flatMap((s) => s.points.map((p) => p[1])), ...lines.map((l) => l.y), 0];
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const yStep = niceStep(Math.max(...ys) - Math.min(...ys));
  const yMin = Math.floor(Math.min(...ys) / yStep) * yStep;
  const yMax = Math.ceil(Math.max(...ys) / yStep) * yStep || yStep;
  const sx = (x: number): number => m.left + ((x - xMin) / (xMax - xMin || 1)) * plotW;
  const sy = (y: number): number => m.top + plotH - ((y - yMin) / (yMax - yMin || 1)) * plotH;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(opts.title)}</text>`);
  for (let y = yMin; y <= yMax + 1e-9; y += yStep) {
    out.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${num(sy(y))}" y2="${num(sy(y))}" stroke="#eee"/>`);
    out.push(`<text x="${m.left - 6}" y="${num(sy(y) + 4)}" text-anchor="end">${num(y)}</text>`);
  }
  const xStep = niceStep(xMax - xMin);
  for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax + 1e-9; x += xStep) {
    out.push(`<text x="${num(sx(x))}" y="${m.top + plotH + 16}" text-anchor="middle">${num(x)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  if (opts.xLabel) out.push(`<text x="${m.left + plotW / 2}" y="${m.top + plotH + 32}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  if (opts.yLabel) out.push(`<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  for (const mk of markers) {
    const x = num(sx(mk.x));
    out.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + plotH}" stroke="${esc(mk.color)}" stroke-dasharray="2 3"><title>${esc(mk.label)}</title></line>`);
  }
  for (const l of lines) {
    const y = num(sy(l.y));
    out.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${y}" y2="${y}" stroke="${esc(l.color)}" stroke-width="1.5" stroke-dasharray="6 3"/>`);
    out.push(`<text x="${m.left + plotW - 4}" y="${num(sy(l.y) - 4)}" text-anchor="end" fill="${esc(l.color)}">${esc(l.label)}</text>`);
  }
  for (const s of series) {
    if (!s.points.length) continue;
    let d = `M${num(sx(s.points[0][0]))},${num(sy(s.points[0][1]))}`;
    for (let i = 1; i < s.points.length; i++) d += `H${num(sx(s.points[i][0]))}V${num(sy(s.points[i][1]))}`;
    const dash = s.dash ? ` stroke-dasharray="${esc(s.dash)}"` : '';
    out.push(`<path d="${d}" fill="none" stroke="${esc(s.color)}" stroke-width="1.2"${dash}><title>${esc(s.name)}</title></path>`);
  }
  let lx = m.left;
  for (const s of series) {
    out.push(`<rect x="${lx}" y="${height - 18}" width="12" height="3" fill="${esc(s.color)}"/>`);
    out.push(`<text x="${lx + 16}" y="${height - 14}">${esc(s.name)}</text>`);
    lx += 24 + s.name.length * 6.5;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
