// A dependency-free SVG bar chart: for each size, each implementation's speed as a multiple
// of a baseline measured in the same run (1.0 = as fast as the baseline).
import { writeFileSync } from 'node:fs';

const COLORS = ['#2f6fdf', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1'];

export function writeChart(url, results, group, baseline, title) {
  const rows = results.filter((r) => r.group === group);
  const sizes = [...new Set(rows.map((r) => r.size))];
  const impls = [...new Set(rows.map((r) => r.impl))];
  const ratio = (size, impl) => {
    const base = rows.find((r) => r.size === size && r.impl === baseline);
    const r = rows.find((x) => x.size === size && x.impl === impl);
    return base && r ? base.nsPerOp / r.nsPerOp : 0;
  };
  const max = Math.max(1, ...sizes.flatMap((s) => impls.map((i) => ratio(s, i))));
  const barW = 14, gap = 18, left = 50, top = 40, height = 260;
  const width = left + sizes.length * (impls.length * barW + gap) + 160;
  const y = (v) => top + height - (v / max) * height;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + height + 70}" font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="20" font-size="13">${title.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`];
  for (let t = 0; t <= max; t += max > 8 ? 2 : 1) {
    parts.push(`<line x1="${left}" x2="${width - 160}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${left - 6}" y="${y(t) + 4}" text-anchor="end">${t}×</text>`);
  }
  parts.push(`<line x1="${left}" x2="${width - 160}" y1="${y(1)}" y2="${y(1)}" stroke="#000" stroke-dasharray="4 3"/>`);
  sizes.forEach((size, si) => {
    const x0 = left + si * (impls.length * barW + gap) + gap / 2;
    impls.forEach((impl, ii) => {
      const v = ratio(size, impl);
      parts.push(`<rect x="${x0 + ii * barW}" y="${y(v)}" width="${barW - 2}" height="${top + height - y(v)}" fill="${COLORS[ii % COLORS.length]}"><title>${impl} ${size}: ${v.toFixed(2)}×</title></rect>`);
    });
    parts.push(`<text x="${x0 + (impls.length * barW) / 2}" y="${top + height + 14}" text-anchor="end" transform="rotate(-35 ${x0 + (impls.length * barW) / 2} ${top + height + 14})">${size}</text>`);
  });
  impls.forEach((impl, ii) => {
    parts.push(`<rect x="${width - 150}" y="${top + ii * 16}" width="10" height="10" fill="${COLORS[ii % COLORS.length]}"/><text x="${width - 135}" y="${top + ii * 16 + 9}">${impl}</text>`);
  });
  parts.push('</svg>');
  writeFileSync(url, parts.join('\n'));
}
