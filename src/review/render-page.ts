/**
 * The review page as one HTML document: a bar of filters, recipes → assets → a grid of variant cards,
 * and a dialog for the large view. Style and script are inlined and allowed by their hashes in the
 * page's Content-Security-Policy, which also forbids every network request: even a value that slipped
 * past escaping could not run or fetch anything.
 */
import { createHash } from 'node:crypto';
import { attr, text } from './html.js';
import { type ReviewModel, type ReviewRecipe, STATUSES } from './model.js';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';
import { type CardContext, renderCard } from './render-card.js';

export interface PageOptions extends CardContext {
  /** Shown in the header: where the manifest came from (as the user named it). */
  manifestLabel: string;
  /** When the page was written (shown in the header). */
  writtenAt: Date;
  /**
   * The page as a server (`assetgen dev`) serves it: a panel above the cards (already escaped HTML),
   * a second script allowed by its hash, requests back to the same origin, and Pick buttons on the cards.
   */
  served?: ServedPage;
}

export interface ServedPage {
  /** HTML of the panel (`<section id="dev-panel">…`), escaped by its maker. */
  panel: string;
  /** The server's script (plain ES2020), inlined and allowed by its hash. */
  script: string;
  /** Written on `<html data-dev-version>`: the page compares it with what the server announces. */
  version: number;
}

const cspHash = (content: string): string =>
  `'sha256-${createHash('sha256').update(content, 'utf8').digest('base64')}'`;

function contentSecurityPolicy(served: ServedPage | undefined): string {
  return [
    "default-src 'none'",
    "img-src 'self' file: data:",
    `style-src ${cspHash(PAGE_STYLE)}`,
    `script-src ${cspHash(PAGE_SCRIPT)}${served === undefined ? '' : ` ${cspHash(served.script)}`}`,
    ...(served === undefined ? [] : ["connect-src 'self'"]),
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const NO_RECIPES =
  '<p class="empty">The manifest lists no recipes yet: run <code>assetgen run &lt;recipes…&gt;</code> first.</p>';

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function filters(model: ReviewModel): string {
  const recipes = model.recipes.map((r) => `<option value=${attr(r.name)}>${text(r.name)}</option>`);
  const assets = model.recipes.flatMap((r) =>
    r.assets.map(
      (a) =>
        `<option value=${attr(`${r.name}/${a.id}`)} data-recipe=${attr(r.name)}>${text(
          model.recipes.length > 1 ? `${r.name} / ${a.id}` : a.id,
        )} (${a.cards.length})</option>`,
    ),
  );
  const statuses = STATUSES.filter((status) => model.statusCounts[status] > 0).map(
    (status) => `<option value=${attr(status)}>${text(status)} (${model.statusCounts[status]})</option>`,
  );
  return (
    `<label>Recipe <select id="filter-recipe"><option value="">all</option>${recipes.join('')}</select></label>` +
    `<label>Asset <select id="filter-asset"><option value="">all</option>${assets.join('')}</select></label>` +
    `<label>Status <select id="filter-status"><option value="">all</option>${statuses.join('')}</select></label>` +
    `<label>Search <input id="filter-search" type="search" placeholder="prompt, id, seed=…" autocomplete="off"></label>`
  );
}

function recipeSection(recipe: ReviewRecipe, context: CardContext): string {
  const assets = recipe.assets.map(
    (asset) =>
      `<section class="asset" data-group data-asset-group=${attr(`${recipe.name}/${asset.id}`)}>` +
      `<h3>${text(asset.id)}<small>${text(plural(asset.cards.length, 'variant'))}</small></h3>` +
      `<div class="grid">${asset.cards.map((card) => renderCard(card, context)).join('')}</div></section>`,
  );
  return (
    `<section class="recipe" data-group data-recipe-group=${attr(recipe.name)}>` +
    `<h2>${text(recipe.name)}<small>${text(recipe.source)} → ${text(recipe.output)}/ · ${text(
      plural(recipe.assets.length, 'asset'),
    )}, ${text(plural(recipe.cards, 'card'))}</small></h2>${assets.join('')}</section>`
  );
}

function viewer(): string {
  return (
    '<dialog class="viewer" id="viewer" aria-label="Large view">' +
    '<div class="stage"><img id="viewer-image" alt=""></div>' +
    '<div class="caption"><button type="button" id="viewer-prev" aria-label="Previous card">←</button>' +
    '<button type="button" id="viewer-next" aria-label="Next card">→</button>' +
    '<p id="viewer-caption"></p><span id="viewer-note" hidden>the original file is gone; showing the preview</span>' +
    '<a id="viewer-open" href="#" target="_blank" rel="noopener">open file</a>' +
    '<button type="button" id="viewer-close">Close (Esc)</button></div></dialog>'
  );
}

export function renderReviewPage(model: ReviewModel, options: PageOptions): string {
  const cards = model.cards.length;
  const served = options.served;
  const context: CardContext = { ...options, pickButton: served !== undefined };
  const body =
    model.recipes.length === 0
      ? served === undefined
        ? NO_RECIPES
        : '<p class="empty">Nothing made yet: the cards appear after the first run.</p>'
      : model.recipes.map((recipe) => recipeSection(recipe, context)).join('');
  return `<!doctype html>
<html lang="en"${served === undefined ? '' : ` data-dev-version="${served.version}"`}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content=${attr(contentSecurityPolicy(served))}>
<meta name="generator" content=${attr(`assetgen ${model.generatorVersion}`)}>
<title>${text(`assetgen review — ${plural(cards, 'card')}`)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header class="bar"><h1>assetgen review</h1>${filters(model)}<span class="count" id="count">${text(plural(cards, 'card'))}</span>
<span class="help"><kbd>←</kbd><kbd>→</kbd><kbd>↑</kbd><kbd>↓</kbd> move · <kbd>Enter</kbd> large view · <kbd>Esc</kbd> close · <kbd>s</kbd> steps · <kbd>/</kbd> search</span></header>
<main>
${served === undefined ? '' : served.panel}
<p class="meta">${text(options.manifestLabel)} · ${text(plural(model.recipes.length, 'recipe'))}, ${text(plural(cards, 'card'))} · written ${text(options.writtenAt.toISOString().replace('T', ' ').slice(0, 19))} UTC · manifest from assetgen ${text(model.generatorVersion)}</p>
${body}
<p class="empty" id="empty" hidden>No card matches the filters.</p>
</main>
${viewer()}
<script>${PAGE_SCRIPT}</script>
${served === undefined ? '' : `<script>${served.script}</script>\n`}</body>
</html>
`;
}
