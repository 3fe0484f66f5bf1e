/**
 * The change report as one self-contained HTML page: inline CSS, no script, no request to anywhere;
 * pictures are the thumbnails beside it and links to the original files, all by relative URL, so it
 * works from file:// and as a CI artifact. Every text from a manifest is HTML-escaped.
 */
import { formatUsd } from '../plan/cost.js';
import { STYLE } from './html-style.js';
import type { AssetDiff, AssetVisual, ChangeReason, ManifestDiff, OutputDiff, ReportImage } from './types.js';
import { describeCost, formatBytes, formatScore, REASON_LABELS } from './wording.js';

export interface HtmlReportInput {
  diff: ManifestDiff;
  visuals: ReadonlyMap<string, AssetVisual>;
  /** How the two folders are named on the page (as given on the command line). */
  baseName: string;
  headName: string;
  /** Relative URL of an original file, or undefined when it cannot be linked. */
  originalHref: (side: 'base' | 'head', path: string) => string | undefined;
}

/** Marks the page as a change report, so that a later report may replace it and nothing else. */
export const GENERATOR_MARK = '<meta name="generator" content="assetgen diff">';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ENTITIES[character] ?? character);
}

const anchorOf = (label: string) => `asset-${label.replace(/[^A-Za-z0-9_-]+/g, '-')}`;

function reasonItem(reason: ChangeReason): string {
  const step = reason.step === undefined ? '' : ` <code>${escapeHtml(reason.step)}</code>`;
  const full =
    reason.before !== undefined || reason.after !== undefined
      ? `<details><summary>full text</summary><dl><dt>before</dt><dd>${escapeHtml(reason.before ?? '(none)')}</dd>` +
        `<dt>after</dt><dd>${escapeHtml(reason.after ?? '(none)')}</dd></dl></details>`
      : '';
  return `<li><span class="kind kind-${reason.kind}">${escapeHtml(REASON_LABELS[reason.kind])}</span>${step} ${escapeHtml(reason.detail)}${full}</li>`;
}

function figure(
  caption: string,
  image: ReportImage | undefined,
  href: string | undefined,
  missing: string,
  extraClass = '',
): string {
  if (image === undefined)
    return `<figure class="missing${extraClass}"><div class="none">${escapeHtml(missing)}</div><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
  const img = `<img src="${escapeHtml(image.file)}" width="${image.width}" height="${image.height}" alt="${escapeHtml(caption)}" loading="lazy" decoding="async">`;
  const linked =
    href === undefined ? img : `<a href="${escapeHtml(href)}" title="open the original">${img}</a>`;
  return `<figure class="${extraClass.trim()}">${linked}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

function describeOutput(output: OutputDiff['before']): string {
  return output === undefined
    ? '—'
    : `${output.format} ${output.width}×${output.height}, ${formatBytes(output.bytes)}`;
}

function outputsTable(outputs: readonly OutputDiff[]): string {
  if (outputs.length === 0) return '';
  const rows = outputs
    .map(
      (output) =>
        `<tr class="file-${output.change}"><td>${escapeHtml(output.path)}</td><td>${output.change}</td>` +
        `<td>${escapeHtml(describeOutput(output.before))}</td><td>${escapeHtml(describeOutput(output.after))}</td></tr>`,
    )
    .join('');
  const tally = (['changed', 'added', 'removed', 'unchanged'] as const)
    .map((change) => [change, outputs.filter((output) => output.change === change).length] as const)
    .filter(([, count]) => count > 0)
    .map(([change, count]) => `${count} ${change}`)
    .join(', ');
  return (
    `<details class="files"><summary>${outputs.length} file${outputs.length === 1 ? '' : 's'}: ${tally}</summary>` +
    `<table><thead><tr><th>path</th><th>change</th><th>before</th><th>after</th></tr></thead><tbody>${rows}</tbody></table></details>`
  );
}

function card(asset: AssetDiff, visual: AssetVisual | undefined, input: HtmlReportInput): string {
  const view = visual ?? { notes: [] };
  const shape = (path: string | undefined, side: 'before' | 'after') => {
    const output = asset.outputs.find((candidate) => candidate.path === path)?.[side];
    return output === undefined ? '' : ` · ${describeOutput(output)}`;
  };
  const beforeHref = view.beforePath === undefined ? undefined : input.originalHref('base', view.beforePath);
  const afterHref = view.afterPath === undefined ? undefined : input.originalHref('head', view.afterPath);
  const figures: string[] = [];
  if (asset.change !== 'added') {
    figures.push(
      figure(
        `before: ${view.beforePath ?? 'no file'}${shape(view.beforePath, 'before')}`,
        view.before,
        beforeHref,
        'no picture',
      ),
    );
  }
  if (asset.change !== 'removed') {
    figures.push(
      figure(
        `after: ${view.afterPath ?? 'no file'}${shape(view.afterPath, 'after')}`,
        view.after,
        afterHref,
        'no picture',
      ),
    );
  }
  if (asset.change === 'changed') {
    const caption =
      view.score === undefined
        ? 'difference: not measured'
        : `difference: ${formatScore(view.score)} of pixels${view.score === 0 && view.diff ? ' (the files differ, not visibly)' : ''}`;
    figures.push(
      figure(caption, view.diff, undefined, view.score === 0 ? 'identical pixels' : 'not compared', ' diff'),
    );
  }
  const score =
    view.score === undefined || asset.change !== 'changed'
      ? ''
      : `<span class="score" title="share of differing pixels">${formatScore(view.score)}</span>`;
  const reasons =
    asset.reasons.length === 0 ? '' : `<ul class="reasons">${asset.reasons.map(reasonItem).join('')}</ul>`;
  const notes =
    view.notes.length === 0
      ? ''
      : `<ul class="notes">${view.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>`;
  return (
    `<article class="asset ${asset.change}" id="${anchorOf(asset.label)}"><header><h3>${escapeHtml(asset.label)}</h3>` +
    `<span class="badge ${asset.change}">${asset.change}</span>${score}</header>${reasons}` +
    `<div class="figures">${figures.join('')}</div>${notes}${outputsTable(asset.outputs)}</article>`
  );
}

function section(title: string, id: string, assets: readonly AssetDiff[], input: HtmlReportInput): string {
  if (assets.length === 0) return '';
  const cards = assets.map((asset) => card(asset, input.visuals.get(asset.label), input)).join('');
  return `<section id="${id}"><h2>${escapeHtml(title)} <small>${assets.length}</small></h2>${cards}</section>`;
}

export function renderHtml(input: HtmlReportInput): string {
  const { diff } = input;
  const of = (change: AssetDiff['change']) => diff.assets.filter((asset) => asset.change === change);
  const unchanged = of('unchanged');
  const counts = (['changed', 'added', 'removed', 'unchanged'] as const)
    .map(
      (change) => `<a class="count ${change}" href="#${change}"><b>${diff.counts[change]}</b> ${change}</a>`,
    )
    .join('');
  const generators =
    diff.generators.base === diff.generators.head
      ? `assetgen ${escapeHtml(diff.generators.head)}`
      : `assetgen ${escapeHtml(diff.generators.base)} → ${escapeHtml(diff.generators.head)}`;
  const unchangedList =
    unchanged.length === 0
      ? ''
      : `<section id="unchanged"><details><summary><h2>Unchanged <small>${unchanged.length}</small></h2></summary><ul class="unchanged">` +
        `${unchanged.map((asset) => `<li>${escapeHtml(asset.label)}</li>`).join('')}</ul></details></section>`;
  const nothing = diff.assets.length === unchanged.length ? '<p class="nothing">Nothing changed.</p>' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${GENERATOR_MARK}
<title>assetgen change report: ${escapeHtml(input.baseName)} → ${escapeHtml(input.headName)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top"><h1>Change report</h1>
<p class="folders"><code>${escapeHtml(input.baseName)}</code> → <code>${escapeHtml(input.headName)}</code> · ${generators}</p>
<nav class="counts">${counts}</nav>
<p class="cost">${escapeHtml(describeCost(diff.cost))}</p>
<p class="legend">Difference pictures: red pixels differ, yellow ones are anti-aliasing (not counted), the rest is the old picture faded. Previews link to the original files.</p></header>
<main>${nothing}
${section('Changed', 'changed', of('changed'), input)}
${section('Added', 'added', of('added'), input)}
${section('Removed', 'removed', of('removed'), input)}
${unchangedList}
</main>
<footer>Made by assetgen from the two folders' manifest.json · head spent ${escapeHtml(formatUsd(diff.cost.spentUsd))}</footer>
</body>
</html>
`;
}
