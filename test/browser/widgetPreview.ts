/**
 * The widget's preview images (widgets/phases/preview-light.png and preview-dark.png, shown in Homey's widget picker
 * and on the App Store page): 1024×1024, transparent around the card, no text, simple shapes, as Homey's guidelines
 * ask. Drawn here as SVG with the widget's own colours (widgets/phases/public/widget.css) and rendered by resvg,
 * which gives the same bytes on every machine (no fonts involved). widget-preview.test.ts checks the committed
 * PNGs against this and rewrites them with UPDATE_SCREENSHOTS=1.
 */
import { Resvg } from '@resvg/resvg-js';

export const PREVIEW_SIZE = 1024;

interface Palette { card: string; track: string; ok: string; over: string; ink: string; edge: string; drawn: string; hatch: string; shadow: string }

const PALETTES: Record<'light' | 'dark', Palette> = {
  light: { card: '#ffffff', track: '#e2e6ea', ok: '#0b6e4f', over: '#d32f2f', ink: '#111416', edge: '#ffffff', drawn: '#1c5fc4', hatch: 'rgba(28,95,196,0.28)', shadow: '#000000' },
  dark: { card: '#1c1c1e', track: '#3a3f45', ok: '#3cbc8a', over: '#f05454', ink: '#ffffff', edge: '#111416', drawn: '#6aa8ff', hatch: 'rgba(106,168,255,0.32)', shadow: '#000000' },
};

/** The card: three phase bars (the last past the fuse) with the fuse and limit markers, two chargers' bars. */
export function previewSvg(mode: 'light' | 'dark'): string {
  const p = PALETTES[mode];
  const x0 = 176;
  const w = 672;
  const fuseX = x0 + w * (25 / 30);
  const limitX = x0 + w * (24 / 30);
  const phases = [0.42, 0.56, 0.93].map((share, i) => {
    const y = 248 + i * 104;
    const colour = share * 30 > 25 ? p.over : p.ok;
    return [
      `<rect x="${x0}" y="${y}" width="${w}" height="40" rx="20" fill="${p.track}"/>`,
      `<path d="M ${x0 + 20} ${y} H ${x0 + w * share} V ${y + 40} H ${x0 + 20} A 20 20 0 0 1 ${x0 + 20} ${y} Z" fill="${colour}"/>`,
      `<rect x="${limitX - 4}" y="${y - 14}" width="8" height="68" fill="url(#dash)"/>`,
      `<rect x="${fuseX - 8}" y="${y - 16}" width="16" height="72" fill="${p.edge}"/>`,
      `<rect x="${fuseX - 5}" y="${y - 13}" width="10" height="66" fill="${p.ink}"/>`,
    ].join('\n    ');
  });
  const chargers = [[0.56, 0.42], [0.4, 0.62]].map(([allowed, drawn], i) => {
    const y = 600 + i * 96;
    return [
      `<rect x="${x0}" y="${y}" width="${w}" height="44" rx="22" fill="${p.track}"/>`,
      `<rect x="${x0 + 3}" y="${y + 3}" width="${w * allowed - 6}" height="38" rx="19" fill="url(#hatch)" stroke="${p.drawn}" stroke-width="6"/>`,
      `<rect x="${x0 + 12}" y="${y + 13}" width="${w * drawn - 12}" height="18" rx="9" fill="${p.drawn}"/>`,
    ].join('\n    ');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${PREVIEW_SIZE}" height="${PREVIEW_SIZE}" viewBox="0 0 ${PREVIEW_SIZE} ${PREVIEW_SIZE}">
  <defs>
    <pattern id="hatch" width="18" height="18" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
      <rect width="9" height="18" fill="${p.hatch}"/>
    </pattern>
    <pattern id="dash" width="8" height="16" patternUnits="userSpaceOnUse">
      <rect width="8" height="10" fill="${p.ink}"/>
    </pattern>
    <filter id="shadow" x="-10%" y="-10%" width="120%" height="130%">
      <feGaussianBlur stdDeviation="18"/>
    </filter>
  </defs>
  <rect x="120" y="180" width="784" height="680" rx="56" fill="${p.shadow}" opacity="0.18" filter="url(#shadow)"/>
  <rect x="112" y="168" width="800" height="680" rx="56" fill="${p.card}"/>
  <g>
    ${phases.join('\n    ')}
  </g>
  <g>
    ${chargers.join('\n    ')}
  </g>
</svg>
`;
}

/** The PNG bytes of a preview. */
export function renderPreview(mode: 'light' | 'dark'): Buffer {
  const rendered = new Resvg(previewSvg(mode), { fitTo: { mode: 'width', value: PREVIEW_SIZE }, font: { loadSystemFonts: false } }).render();
  return rendered.asPng();
}
