/**
 * One variant card of the review page: the final image (its first `<img>`), prompt, seed, model and
 * version, cost, dimensions, cache state, error, the pick command, and the steps' images on demand
 * (in a `<template>` that the page script opens into the card when asked). Every value is escaped.
 */
import { formatUsd } from '../plan/cost.js';
import { attr, formatBytes, relativeUrl, text } from './html.js';
import type { ReviewCard, ReviewImage, ReviewStep } from './model.js';
import type { Preview } from './thumbnails.js';

export interface CardContext {
  pageDir: string;
  previews: ReadonlyMap<string, Preview>;
  /** Served by `assetgen dev`: a Pick button beside the pick command, which asks the server to run it. */
  pickButton?: boolean;
}

const SHORT_VERSION = 12;

function cardTitle(card: ReviewCard): string {
  return card.variantName === '' ? card.asset : `${card.asset} · ${card.variantName}`;
}

function imageLink(
  image: ReviewImage,
  caption: string,
  context: CardContext,
  className: string,
  extra = '',
): string {
  const preview = context.previews.get(image.sha256);
  if (preview === undefined || !preview.ok) {
    const reason = preview?.ok === false ? preview.reason : 'no preview';
    return `<div class="${className} no-preview"><p>No preview: ${text(reason)}</p></div>`;
  }
  const note = preview.note === undefined ? '' : `<p class="note">${text(preview.note)}</p>`;
  return (
    `<a class="${className}" href=${attr(relativeUrl(context.pageDir, image.full))} data-large` +
    ` data-thumb=${attr(preview.file)} data-caption=${attr(caption)}>` +
    `<img src=${attr(preview.file)} width="${preview.width}" height="${preview.height}" alt=${attr(caption)}` +
    ` loading="lazy" decoding="async"${extra}></a>${note}`
  );
}

function cacheState(card: ReviewCard): string {
  if (card.status !== 'ok') return `${card.cachedSteps} of ${card.totalSteps} finished steps from the cache`;
  if (card.totalSteps === 0) return 'no steps';
  if (card.cachedSteps === card.totalSteps) return 'cached (no task ran)';
  if (card.cachedSteps === 0) return 'made in this run';
  return `partly cached (${card.cachedSteps} of ${card.totalSteps} steps)`;
}

function modelLine(card: ReviewCard): string {
  if (card.model === undefined) return '<dd>none (image steps only)</dd>';
  const version =
    card.version === null
      ? ''
      : ` <span class="version" title=${attr(card.version)}>${text(card.version.slice(0, SHORT_VERSION))}</span>`;
  const provider = card.provider === 'local' ? ' <span class="offline">offline stand-in</span>' : '';
  return `<dd>${text(card.model)}${version}${provider}</dd>`;
}

function dimensions(card: ReviewCard): string {
  if (card.outputs.length === 0) return '<dd>no files</dd>';
  const largest = card.outputs.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
  const count = card.outputs.length === 1 ? '' : ` · ${card.outputs.length} files`;
  return `<dd>${largest.width}×${largest.height}${count}</dd>`;
}

function facts(card: ReviewCard): string {
  const rows = [
    `<dt>seed</dt><dd>${card.seed === null ? 'none' : text(card.seed)}</dd>`,
    `<dt>model</dt>${modelLine(card)}`,
    `<dt>cost</dt><dd>${text(formatUsd(card.costUsd))}</dd>`,
    `<dt>size</dt>${dimensions(card)}`,
    `<dt>cache</dt><dd>${text(cacheState(card))}</dd>`,
  ];
  return `<dl class="facts">${rows.join('')}</dl>`;
}

function stepItem(step: ReviewStep, card: ReviewCard, context: CardContext): string {
  const caption = `${cardTitle(card)} — step ${step.id} (${step.what})`;
  const images = step.images.map((image) => imageLink(image, caption, context, 'step-image', ' data-step'));
  const facts = [
    step.what,
    step.version === null ? '' : `version ${step.version.slice(0, SHORT_VERSION)}`,
    step.cached ? 'cached' : `${(step.durationMs / 1000).toFixed(1)} s`,
    step.kind === 'model' && step.costUsd !== 0 ? formatUsd(step.costUsd) : '',
  ].filter((fact) => fact !== '');
  const said = step.text === undefined ? '' : `<blockquote class="step-text">${text(step.text)}</blockquote>`;
  return (
    `<li><p class="step-name"><b>${text(step.id)}</b> ${text(facts.join(' · '))}</p>` +
    `${images.join('')}${said}</li>`
  );
}

function files(card: ReviewCard, context: CardContext): string {
  if (card.outputs.length === 0) return '';
  const rows = card.outputs.map(
    (output) =>
      `<tr><td><a href=${attr(relativeUrl(context.pageDir, output.file))}>${text(output.path)}</a></td>` +
      `<td>${output.width}×${output.height}</td><td>${text(output.format)}</td>` +
      `<td>${text(formatBytes(output.bytes))}</td></tr>`,
  );
  return `<table class="files"><tbody>${rows.join('')}</tbody></table>`;
}

function searchText(card: ReviewCard): string {
  return [
    card.recipe,
    card.asset,
    card.variantName,
    card.status,
    card.prompt ?? '',
    card.model ?? '',
    card.error ?? '',
  ]
    .join(' ')
    .toLowerCase();
}

export function renderCard(card: ReviewCard, context: CardContext): string {
  const title = cardTitle(card);
  const final =
    card.final === undefined
      ? `<div class="frame no-preview"><p>${card.status === 'ok' ? 'no image' : text(card.status)}</p></div>`
      : imageLink(
          card.final,
          `${title}${card.prompt === undefined ? '' : ` — ${card.prompt}`}`,
          context,
          'frame',
        );
  const badges = [
    `<span class="badge status-${text(card.status)}">${text(card.status)}</span>`,
    card.status === 'ok' && card.totalSteps > 0 && card.cachedSteps === card.totalSteps
      ? '<span class="badge cached">cached</span>'
      : '',
  ].join('');
  const prompt =
    card.prompt === undefined ? '' : `<p class="prompt" title=${attr(card.prompt)}>${text(card.prompt)}</p>`;
  const error = card.error === undefined ? '' : `<p class="error" role="note">${text(card.error)}</p>`;
  const pick =
    card.pick === undefined
      ? ''
      : `<div class="pick"><code>${text(card.pick)}</code><button type="button" data-copy>Copy</button>` +
        `${context.pickButton === true ? '<button type="button" data-pick>Pick</button>' : ''}</div>`;
  const withImages = card.steps.filter((step) => step.images.length > 0).length;
  const steps =
    card.steps.length === 0
      ? ''
      : `<details class="steps" data-steps><summary>Steps (${card.steps.length}${withImages > 0 ? `, ${withImages} with images` : ''}) and files</summary>` +
        `<template><ol>${card.steps.map((step) => stepItem(step, card, context)).join('')}</ol>${files(card, context)}</template></details>`;
  return (
    `<article class="card" data-card data-recipe=${attr(card.recipe)} data-asset=${attr(card.asset)}` +
    ` data-variant=${attr(card.variantName)} data-status=${attr(card.status)} data-search=${attr(searchText(card))}` +
    ` tabindex="-1" aria-label=${attr(title)}>` +
    `<header><h4>${text(card.variantName === '' ? card.asset : card.variantName)}</h4>${badges}</header>` +
    `${final}${prompt}${facts(card)}${error}${pick}${steps}</article>`
  );
}
