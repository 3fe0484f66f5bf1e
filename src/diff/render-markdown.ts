/**
 * The change report as Markdown for a pull-request comment: counts, the cost, a table of changed, added
 * and removed assets with reasons and scores (the first rows open, the rest folded in `<details>`), the
 * unchanged ones folded, and never longer than a hard limit (GitHub refuses comments over 65,536
 * characters). Every text from a manifest is escaped: no formatting, no HTML, no @mention gets through.
 */

import { shorten } from './step-reasons.js';
import type { AssetDiff, AssetVisual, ManifestDiff } from './types.js';
import { describeCost, formatScore, REASON_LABELS } from './wording.js';

export interface MarkdownOptions {
  /** Hard limit in characters (default 60,000: under GitHub's 65,536 with room for a footer). */
  maxLength?: number;
  /** Rows shown before the rest is folded (default 25). */
  openRows?: number;
  /** A line added at the end, e.g. a link to the full report (Markdown, not escaped). */
  footer?: string;
}

export const MARKDOWN_TITLE = '## assetgen change report';
const CELL = 320;

/** Escapes text for Markdown (also inside table cells): inline syntax, HTML, pipes, and @mentions. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/[\\`*_[\]!<>&~|#]/g, (character) => `\\${character}`)
    .replace(/@/g, '@\u200b');
}

function why(asset: AssetDiff): string {
  if (asset.change !== 'changed') return '—';
  const parts = asset.reasons.map((reason) => {
    const step = reason.step === undefined ? '' : ` (${reason.step})`;
    return `**${REASON_LABELS[reason.kind]}**${escapeMarkdown(step)}: ${escapeMarkdown(shorten(reason.detail, 160))}`;
  });
  const cell = parts.join('; ');
  if (cell.length <= CELL) return cell;
  // Cut between reasons, never inside an escape sequence.
  let kept = '';
  let shown = 0;
  for (const part of parts) {
    if (`${kept}; ${part}`.length > CELL - 20) break;
    kept = kept === '' ? part : `${kept}; ${part}`;
    shown += 1;
  }
  return `${kept === '' ? escapeMarkdown(REASON_LABELS[asset.reasons[0]?.kind ?? 'pixels']) : kept}; … ${parts.length - Math.max(shown, 1)} more`;
}

function difference(asset: AssetDiff, visual: AssetVisual | undefined): string {
  if (asset.change !== 'changed') return '—';
  if (visual?.score === undefined) return 'not measured';
  // The files differ (there is a difference picture) but no pixel differs visibly.
  return visual.score === 0 && visual.diff !== undefined ? '0 % (not visible)' : formatScore(visual.score);
}

function row(asset: AssetDiff, visual: AssetVisual | undefined): string {
  return `| ${escapeMarkdown(asset.label)} | ${asset.change} | ${why(asset)} | ${difference(asset, visual)} |`;
}

const TABLE_HEAD = ['| asset | change | why | difference |', '| --- | --- | --- | --: |'];

export function renderMarkdown(
  diff: ManifestDiff,
  visuals: ReadonlyMap<string, AssetVisual>,
  options: MarkdownOptions = {},
): string {
  const maxLength = options.maxLength ?? 60_000;
  const openRows = options.openRows ?? 25;
  const { counts } = diff;
  const lines = [
    MARKDOWN_TITLE,
    '',
    `**${counts.changed} changed · ${counts.added} added · ${counts.removed} removed · ${counts.unchanged} unchanged** · ` +
      escapeMarkdown(describeCost(diff.cost)),
    '',
  ];
  const tail = [
    ...(diff.generators.base === diff.generators.head
      ? []
      : [
          `_base made by assetgen ${escapeMarkdown(diff.generators.base)}, head by ${escapeMarkdown(diff.generators.head)}_`,
          '',
        ]),
    ...(options.footer === undefined ? [] : [options.footer, '']),
  ];
  const length = (parts: readonly string[]) => parts.reduce((sum, part) => sum + part.length + 1, 0);
  // Room for the closing lines, the "… more" note and the unchanged summary line.
  let room = maxLength - length(lines) - length(tail) - 400;

  const listed = diff.assets.filter((asset) => asset.change !== 'unchanged');
  const rows: string[] = [];
  for (const asset of listed) {
    const line = row(asset, visuals.get(asset.label));
    if (line.length + 1 > room) break;
    rows.push(line);
    room -= line.length + 1;
  }
  if (listed.length === 0) lines.push('Nothing changed.', '');
  else {
    lines.push(...TABLE_HEAD, ...rows.slice(0, openRows), '');
    if (rows.length > openRows) {
      const folded = rows.length - openRows;
      lines.push(
        `<details><summary>${folded} more</summary>`,
        '',
        ...TABLE_HEAD,
        ...rows.slice(openRows),
        '',
        '</details>',
        '',
      );
    }
    if (rows.length < listed.length) {
      lines.push(
        `… and ${listed.length - rows.length} more not listed here (too long for a comment): see the HTML report.`,
        '',
      );
    }
  }

  const unchanged = diff.assets.filter((asset) => asset.change === 'unchanged');
  if (unchanged.length > 0) {
    const list = unchanged.map((asset) => escapeMarkdown(asset.label)).join(', ');
    if (list.length + 60 <= room) {
      lines.push(`<details><summary>${unchanged.length} unchanged</summary>`, '', list, '', '</details>', '');
    } else lines.push(`${unchanged.length} unchanged (listed in the HTML report).`, '');
  }
  lines.push(...tail);
  const text = `${lines.join('\n').trimEnd()}\n`;
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 2).trimEnd()}\n`;
}
