import type { Prediction } from "./metrics.js";
import { rocCurve } from "./metrics.js";

export interface Series {
  name: string;
  predictions: readonly Prediction[];
  colour: string;
}

const escape = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The ROC curves of several models as one self-contained SVG (no plotting dependency needed). */
export function rocSvg(title: string, series: readonly Series[]): string {
  const size = 420;
  const margin = 50;
  const x = (fpr: number) => margin + fpr * size;
  const y = (tpr: number) => margin + (1 - tpr) * size;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${size + 2 * margin + 160}" height="${size + 2 * margin}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${margin}" y="${margin - 20}" font-size="14">${escape(title)}</text>`);
  parts.push(`<rect x="${margin}" y="${margin}" width="${size}" height="${size}" fill="none" stroke="#333"/>`);
  for (let i = 0; i <= 10; i++) {
    const v = i / 10;
    parts.push(`<line x1="${x(v)}" y1="${y(0)}" x2="${x(v)}" y2="${y(0) + 5}" stroke="#333"/><text x="${x(v)}" y="${y(0) + 18}" text-anchor="middle">${v.toFixed(1)}</text>`);
    parts.push(`<line x1="${x(0) - 5}" y1="${y(v)}" x2="${x(0)}" y2="${y(v)}" stroke="#333"/><text x="${x(0) - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  parts.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#bbb" stroke-dasharray="4 4"/>`);
  parts.push(`<text x="${margin + size / 2}" y="${size + margin + 38}" text-anchor="middle">blocked ham (false-positive rate)</text>`);
  parts.push(`<text transform="translate(14 ${margin + size / 2}) rotate(-90)" text-anchor="middle">spam caught (recall)</text>`);
  series.forEach((s, index) => {
    const points = rocCurve(s.predictions).map((p) => `${x(p.fpr).toFixed(1)},${y(p.tpr).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${points.join(" ")}"/>`);
    parts.push(`<line x1="${size + margin + 15}" y1="${margin + 20 * index + 10}" x2="${size + margin + 35}" y2="${margin + 20 * index + 10}" stroke="${s.colour}" stroke-width="3"/>`);
    parts.push(`<text x="${size + margin + 40}" y="${margin + 20 * index + 14}">${escape(s.name)}</text>`);
  });
  parts.push(`</svg>`);
  return parts.join("\n") + "\n";
}

export interface CurveSeries {
  name: string;
  colour: string;
  points: ReadonlyArray<{ x: number; y: number }>;
}

/**
 * Line charts of rates (0..`yMax`) against a count, with dashed vertical marks (e.g. where a new
 * site's stream starts): the prequential learning curve.
 */
export function curveSvg(title: string, xLabel: string, series: readonly CurveSeries[], marks: ReadonlyArray<{ x: number; label: string }> = []): string {
  const width = 560;
  const height = 320;
  const margin = 50;
  const xMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.x)));
  const yTop = Math.max(0.05, ...series.flatMap((s) => s.points.map((p) => p.y)));
  const yMax = Math.ceil(yTop * 20) / 20;
  const x = (v: number) => margin + (v / xMax) * width;
  const y = (v: number) => margin + (1 - v / yMax) * height;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width + 2 * margin + 170}" height="${height + 2 * margin}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${margin}" y="${margin - 20}" font-size="14">${escape(title)}</text>`);
  parts.push(`<rect x="${margin}" y="${margin}" width="${width}" height="${height}" fill="none" stroke="#333"/>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    parts.push(`<line x1="${x(0) - 5}" y1="${y(v)}" x2="${x(0)}" y2="${y(v)}" stroke="#333"/><text x="${x(0) - 8}" y="${y(v) + 4}" text-anchor="end">${(100 * v).toFixed(0)} %</text>`);
    const c = (xMax * i) / 5;
    parts.push(`<line x1="${x(c)}" y1="${y(0)}" x2="${x(c)}" y2="${y(0) + 5}" stroke="#333"/><text x="${x(c)}" y="${y(0) + 18}" text-anchor="middle">${Math.round(c)}</text>`);
  }
  for (const mark of marks) {
    parts.push(`<line x1="${x(mark.x)}" y1="${y(yMax)}" x2="${x(mark.x)}" y2="${y(0)}" stroke="#bbb" stroke-dasharray="4 4"/>`);
    parts.push(`<text x="${x(mark.x) + 3}" y="${y(yMax) + 12}" fill="#888" font-size="10">${escape(mark.label)}</text>`);
  }
  parts.push(`<text x="${margin + width / 2}" y="${height + margin + 38}" text-anchor="middle">${escape(xLabel)}</text>`);
  series.forEach((s, index) => {
    const points = s.points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${points.join(" ")}"/>`);
    parts.push(`<line x1="${width + margin + 15}" y1="${margin + 20 * index + 10}" x2="${width + margin + 35}" y2="${margin + 20 * index + 10}" stroke="${s.colour}" stroke-width="3"/>`);
    parts.push(`<text x="${width + margin + 40}" y="${margin + 20 * index + 14}">${escape(s.name)}</text>`);
  });
  parts.push(`</svg>`);
  return parts.join("\n") + "\n";
}
