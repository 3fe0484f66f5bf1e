/**
 * The live status line and the lines of streaming text, fitted to the terminal's width (a line that
 * wrapped could not be redrawn in place). Pure: counts in, text out.
 */
import { formatUsd } from '../plan/cost.js';
import { type Paint, visible } from './colour.js';
import { formatDuration, plural } from './format.js';

export interface ProgressCounts {
  /** Assets made; with `assetsFailed`, the assets settled. */
  assetsDone: number;
  assetsTotal: number;
  assetsFailed: number;
  tasksDone: number;
  tasksTotal: number;
  running: number;
  coldBoots: number;
  paid: boolean;
  spentUsd: number;
  estimatedUsd: number | null;
  /** Time left, when it can be told. */
  etaMs?: number;
}

const SEPARATOR = ' · ';

/** `⠋ 3/8 assets · 17/40 tasks · 42% · 1 failed · ETA 12s · $0.0120 of ~$0.0240 · 1 cold boot · 2 running`. */
export function statusLine(counts: ProgressCounts, paint: Paint, columns: number, spinner: string): string {
  const percent = counts.tasksTotal > 0 ? Math.floor((100 * counts.tasksDone) / counts.tasksTotal) : 0;
  const segments = [
    `${paint('bold', `${counts.assetsDone + counts.assetsFailed}/${counts.assetsTotal}`)} ${counts.assetsTotal === 1 ? 'asset' : 'assets'}`,
    `${counts.tasksDone}/${counts.tasksTotal} ${counts.tasksTotal === 1 ? 'task' : 'tasks'}`,
    `${percent}%`,
  ];
  if (counts.assetsFailed > 0) segments.push(paint('red', `${counts.assetsFailed} failed`));
  if (counts.etaMs !== undefined) segments.push(paint('cyan', `ETA ${formatDuration(counts.etaMs)}`));
  if (counts.paid) {
    const estimate = counts.estimatedUsd === null ? 'unknown' : `~${formatUsd(counts.estimatedUsd)}`;
    segments.push(`${formatUsd(counts.spentUsd)} of ${estimate}`);
  }
  if (counts.coldBoots > 0) segments.push(paint('yellow', plural(counts.coldBoots, 'cold boot')));
  if (counts.running > 0) segments.push(paint('dim', `${counts.running} running`));
  const separator = paint('dim', SEPARATOR);
  // Drop the least important segments (the last) until the line fits.
  for (let kept = segments.length; kept > 1; kept--) {
    const line = `${paint('cyan', spinner)} ${segments.slice(0, kept).join(separator)}`;
    if (visible(line).length < columns) return line;
  }
  return cut(`${spinner} ${visible(segments[0] ?? '')}`, columns - 1);
}

/** `  ✎ captioned/kite idea  …the last words of the text so far` (whitespace collapsed, the tail kept). */
export function streamingLine(label: string, text: string, paint: Paint, columns: number): string {
  const head = `  ✎ ${label}  `;
  const room = columns - 1 - head.length;
  const flat = text.replace(/\s+/g, ' ').trim();
  if (room < 8) return paint('dim', cut(head.trimEnd(), columns - 1));
  const tail = flat.length <= room ? flat : `…${flat.slice(flat.length - room + 1)}`;
  return `${paint('dim', head)}${tail}`;
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}
