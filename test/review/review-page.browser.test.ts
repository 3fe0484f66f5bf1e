/**
 * The review page in a real Chromium: `assetgen run … --review` on three recipes (a 12-variant one, one
 * with hostile text and a cut-out, one that fails at run time), then the page from `file://` — every
 * card of the manifest, every image decoded, the facts of a card, escaping, filters, keyboard, the large
 * view, steps on demand, no network. Writes a screenshot of the 12 variants to .tmp/ (not committed).
 */
import { cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest, ManifestAsset } from '../../src/manifest/types.js';
import { variantName } from '../../src/review/index.js';
import { runCli } from '../helpers/cli.js';
import { launchBrowser, type TestBrowser } from './browser.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const ARTIFACT = fileURLToPath(new URL('../../.tmp/review-12-variants.png', import.meta.url));

interface Entry {
  recipe: string;
  asset: ManifestAsset;
  variant: string;
}

const cardSelector = (recipe: string, asset: string, variant: string): string =>
  `[data-card][data-recipe="${recipe}"][data-asset="${asset}"][data-variant="${variant}"]`;

/** Opens every steps section, loads lazy images eagerly and decodes them all. */
async function decodeAll(page: Page) {
  return page.evaluate(async () => {
    for (const details of document.querySelectorAll<HTMLDetailsElement>('details[data-steps]'))
      details.open = true;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const images = [...document.images].filter((image) => image.id !== 'viewer-image');
    for (const image of images) image.loading = 'eager';
    const failures = await Promise.all(images.map((image) => image.decode().then(() => null, String)));
    return images.map((image, index) => ({
      src: image.getAttribute('src') ?? '',
      width: image.naturalWidth,
      step: image.hasAttribute('data-step'),
      failure: failures[index],
    }));
  });
}

const visibleVariants = (page: Page) =>
  page.$$eval('[data-card]:not([hidden])', (cards) => cards.map((card) => card.getAttribute('data-variant')));

const activeCard = (page: Page) =>
  page.evaluate(() => {
    const card = document.activeElement?.closest('[data-card]');
    return card ? `${card.getAttribute('data-asset')} ${card.getAttribute('data-variant')}` : null;
  });

describe('review page in Chromium', () => {
  let dir: string;
  let manifest: Manifest;
  let entries: Entry[];
  let pageUrl: string;
  let browser: TestBrowser;
  let page: Page;
  let run: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-review-'));
    await cp(FIXTURES, dir, { recursive: true });
    run = await runCli(['run', 'palette.yaml', 'mixed.yaml', 'broken.yaml', '--review'], { cwd: dir });
    manifest = JSON.parse(await readFile(join(dir, 'output', 'manifest.json'), 'utf8')) as Manifest;
    entries = Object.entries(manifest.recipes).flatMap(([recipe, { assets }]) =>
      assets.map((asset) => ({ recipe, asset, variant: variantName(asset.variant) })),
    );
    pageUrl = pathToFileURL(join(dir, '.assetgen', 'review', 'index.html')).href;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(pageUrl);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('`run --review` writes the page after the run (one asset failed: exit 1)', () => {
    expect(run.err).toMatch(/review: 15 cards from 3 recipes → \.assetgen\/review\/index\.html/);
    expect(run.code).toBe(1);
  });

  it('has exactly one card per asset and variant of the manifest', async () => {
    expect(entries).toHaveLength(15);
    for (const { recipe, asset, variant } of entries)
      expect(
        await page.locator(cardSelector(recipe, asset.id, variant)).count(),
        `${asset.id} ${variant}`,
      ).toBe(1);
    expect(await page.locator('[data-card]').count()).toBe(15);
    expect(await visibleVariants(page)).toHaveLength(15);
  });

  it('decodes every image: final images first in their card, step images on demand', async () => {
    const images = await decodeAll(page);
    expect(images.filter((image) => image.failure !== null || image.width === 0)).toEqual([]);
    const stepImages = entries.flatMap(({ asset }) => asset.steps.flatMap((step) => step.files ?? []));
    expect(images.filter((image) => image.step)).toHaveLength(stepImages.length);
    expect(images.filter((image) => !image.step)).toHaveLength(
      entries.filter((e) => e.asset.outputs.length > 0).length,
    );
    for (const { recipe, asset, variant } of entries) {
      const card = page.locator(cardSelector(recipe, asset.id, variant));
      const first = card.locator('img').first();
      if (asset.outputs.length === 0) {
        expect(await first.getAttribute('data-step')).not.toBeNull(); // only step images, after opening
        continue;
      }
      expect(await first.getAttribute('data-step')).toBeNull();
      // The large view of the final image is the asset's largest output file.
      const largest = [...asset.outputs].sort((a, b) => b.width * b.height - a.width * a.height)[0];
      const href = await card.locator('a.frame').getAttribute('href');
      expect(decodeURIComponent(href ?? '')).toBe(`../../output/${largest?.path}`);
      const size = await first.evaluate((image: HTMLImageElement) => [
        image.naturalWidth,
        image.naturalHeight,
      ]);
      expect(
        Math.abs((size[0] ?? 0) / (size[1] ?? 1) - (largest?.width ?? 0) / (largest?.height ?? 1)),
      ).toBeLessThan(0.02);
    }
  });

  it('shows prompt, seed, model, cost, size, cache state and the exact pick command', async () => {
    const card = page.locator(cardSelector('palette', 'hero', 'seed=2,style=soft watercolour'));
    expect(await card.locator('.prompt').textContent()).toBe(
      'a lighthouse on a rocky coast, soft watercolour',
    );
    const facts = await card
      .locator('.facts')
      .evaluate((list) =>
        Object.fromEntries(
          [...list.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]),
        ),
      );
    expect(facts).toEqual({
      seed: '2',
      model: 'black-forest-labs/flux-schnell offline stand-in',
      cost: '$0',
      size: '640×378 · 2 files',
      cache: 'made in this run',
    });
    expect(await card.locator('.pick code').textContent()).toBe(
      "assetgen pick palette.yaml hero seed=2 style='soft watercolour'",
    );
    // An asset without variants has nothing to pick.
    expect(await page.locator(`${cardSelector('mixed', 'cutout', '')} .pick`).count()).toBe(0);
  });

  it('shows the error of a failed asset, and the image of the step that did run', async () => {
    const card = page.locator(cardSelector('broken', 'cropped', ''));
    expect(await card.getAttribute('data-status')).toBe('failed');
    expect(await card.locator('.error').textContent()).toBe(
      'crop region 10x10 at 5000,0 lies outside the 512x512 image',
    );
    expect(await card.locator('.frame img').count()).toBe(0);
    expect(await card.locator('.steps img[data-step]').count()).toBe(1);
  });

  it('shows hostile text as text: nothing from the manifest runs', async () => {
    const subject = manifest.recipes.mixed?.assets[0]?.variables.subject;
    expect(subject).toContain('<script>');
    expect(await page.locator(`${cardSelector('mixed', 'evil', '')} .prompt`).textContent()).toBe(subject);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.evaluate(() => document.scripts.length)).toBe(1);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
  });

  it('filters by status, recipe, asset and text, and keeps the filters in the URL', async () => {
    await page.selectOption('#filter-status', 'failed');
    expect(
      await page.$$eval('[data-card]:not([hidden])', (cards) =>
        cards.map((c) => c.getAttribute('data-asset')),
      ),
    ).toEqual(['cropped']);
    expect(await page.locator('[data-recipe-group="palette"]').isHidden()).toBe(true);
    expect(new URL(page.url()).hash).toBe('#status=failed');
    await page.reload();
    expect(await page.inputValue('#filter-status')).toBe('failed');
    expect(await visibleVariants(page)).toHaveLength(1);

    await page.selectOption('#filter-status', '');
    await page.selectOption('#filter-recipe', 'palette');
    expect(await visibleVariants(page)).toHaveLength(12);
    expect(await page.textContent('#count')).toBe('12 of 15 cards');
    const assetOptions = await page.$$eval('#filter-asset option', (options) =>
      (options as HTMLOptionElement[]).filter((o) => !o.hidden).map((o) => o.value),
    );
    expect(assetOptions).toEqual(['', 'palette/hero']);

    await page.selectOption('#filter-recipe', '');
    await page.selectOption('#filter-asset', 'mixed/evil');
    expect(await visibleVariants(page)).toEqual(['']);
    await page.selectOption('#filter-asset', '');

    await page.fill('#filter-search', 'watercolour seed=3');
    expect(await visibleVariants(page)).toEqual(['seed=3,style=soft watercolour']);
    await page.fill('#filter-search', 'no such thing');
    expect(await page.locator('#empty').isVisible()).toBe(true);
    await page.fill('#filter-search', '');
    expect(await visibleVariants(page)).toHaveLength(15);
  });

  it('moves between cards with the arrow keys; Enter opens the large view, Escape closes it', async () => {
    await page.goto(`${pageUrl}#recipe=palette`);
    await page.reload(); // a fresh page: nothing focused
    await page.keyboard.press('ArrowRight');
    expect(await activeCard(page)).toBe('hero seed=1,style=ink');
    await page.keyboard.press('ArrowRight');
    expect(await activeCard(page)).toBe('hero seed=1,style=soft watercolour');
    const box = async () =>
      page.evaluate(() => {
        const rect = document.activeElement?.getBoundingClientRect() ?? new DOMRect();
        return { left: rect.left, top: rect.top + scrollY, bottom: rect.bottom + scrollY };
      });
    const before = await box();
    await page.keyboard.press('ArrowDown');
    const below = await box();
    expect(below.left).toBeCloseTo(before.left, 0);
    expect(below.top).toBeGreaterThan(before.bottom - 1);
    expect(await activeCard(page)).not.toBe('hero seed=1,style=soft watercolour');
    await page.keyboard.press('ArrowUp');
    expect(await activeCard(page)).toBe('hero seed=1,style=soft watercolour');
    await page.keyboard.press('End');
    expect(await activeCard(page)).toBe('hero seed=4,style=pixel art');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');

    await page.keyboard.press('Enter');
    const viewer = page.locator('#viewer');
    expect(await viewer.evaluate((d: HTMLDialogElement) => d.open)).toBe(true);
    const image = page.locator('#viewer-image');
    await image.evaluate((img: HTMLImageElement) => img.decode());
    expect(await image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(640);
    expect(await page.textContent('#viewer-caption')).toContain('hero · seed=1,style=soft watercolour');
    await page.keyboard.press('ArrowRight');
    expect(await page.textContent('#viewer-caption')).toContain('hero · seed=1,style=pixel art');
    await page.keyboard.press('Escape');
    expect(await viewer.evaluate((d: HTMLDialogElement) => d.open)).toBe(false);
    // Focus goes back to the viewed card when the dialog's close event runs: wait for it.
    await expect.poll(() => activeCard(page)).toBe('hero seed=1,style=pixel art');

    // `s` opens the focused card's steps; a step image opens large from the cache.
    await page.keyboard.press('s');
    const card = page.locator(cardSelector('palette', 'hero', 'seed=1,style=pixel art'));
    expect(await card.locator('details[data-steps]').evaluate((d: HTMLDetailsElement) => d.open)).toBe(true);
    await card.locator('a.step-image').first().click();
    await image.evaluate((img: HTMLImageElement) => img.decode());
    expect(await image.getAttribute('src')).toMatch(/^\.\.\/cache\/objects\/[0-9a-f]{2}\/[0-9a-f]{64}$/);
    expect(await image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(480);
    await page.keyboard.press('Escape');
  });

  it('needed no network at all', () => {
    expect(browser.networkRequests).toEqual([]);
  });

  it('writes a screenshot of the 12-variant recipe as a test artifact', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${pageUrl}#recipe=palette`);
    await page.reload();
    await decodeAll(page);
    await page.evaluate(() => {
      for (const details of document.querySelectorAll<HTMLDetailsElement>('details[data-steps]'))
        details.open = false;
      scrollTo(0, 0);
    });
    await mkdir(join(ARTIFACT, '..'), { recursive: true });
    await page.screenshot({ path: ARTIFACT, fullPage: true });
    expect((await stat(ARTIFACT)).size).toBeGreaterThan(10_000);
  });

  it('falls back to the thumbnail in the large view when an original file is gone', async () => {
    const asset = manifest.recipes.mixed?.assets.find((a) => a.id === 'cutout');
    await rm(join(dir, 'output', asset?.outputs[0]?.path ?? 'missing'));
    await page.goto(pageUrl);
    await page.locator(`${cardSelector('mixed', 'cutout', '')} a.frame`).click();
    const image = page.locator('#viewer-image');
    await expect.poll(() => image.getAttribute('src')).toMatch(/^thumbs\//);
    await image.evaluate((img: HTMLImageElement) => img.decode());
    expect(await image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    expect(await page.locator('#viewer-note').isVisible()).toBe(true);
  });
});
