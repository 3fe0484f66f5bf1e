/**
 * `assetgen dev`'s page in a real Chromium, served on 127.0.0.1 with real saves: the page updates itself
 * after a save (live reload), an invalid save shows its problem with file:line:column while the last good
 * image stays, fixing it recovers, the Pick button writes `pick:` into the recipe and the page then shows
 * only the picked variant; on the fake Replicate, nothing is created until the page's Run it is pressed.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevSession, startDev } from '../../src/dev/index.js';
import { BROKEN_AT, makeProject, ranSince, recipeText, waitForState } from '../dev/helpers.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { launchBrowser, type TestBrowser } from './browser.js';

const LONG = { timeout: 60_000 };
const card = (asset: string, variant: string) =>
  `[data-card][data-asset="${asset}"][data-variant="${variant}"]`;

/** The card's final image: its src once it has decoded (naturalWidth > 0), else null. */
const decodedSrc = (page: Page, selector: string) =>
  page.$eval(`${selector} img`, (image) => {
    const img = image as HTMLImageElement;
    return img.complete && img.naturalWidth > 0 ? img.getAttribute('src') : null;
  });

async function openPage(browser: TestBrowser, session: DevSession): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => {
    throw error;
  });
  await page.goto(session.url);
  await page.waitForSelector('html[data-ready]', LONG);
  return page;
}

describe('dev page in Chromium (offline)', () => {
  let project: Awaited<ReturnType<typeof makeProject>>;
  let session: DevSession;
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    project = await makeProject();
    session = await startDev(['tiles.yaml'], { cwd: project.dir, port: 0, debounceMs: 50 });
    await waitForState(session, ranSince(1), 'the first run');
    browser = await launchBrowser({ allow: [new URL(session.url).origin] });
    page = await openPage(browser, session);
  });

  afterAll(async () => {
    await browser?.close();
    await session?.close();
    await rm(project.dir, { recursive: true, force: true });
  });

  it('shows every card, each image decoded, with a Pick button', async () => {
    expect(await page.$$eval('[data-card]', (cards) => cards.length)).toBe(4);
    for (const selector of [card('sun', 'seed=1'), card('moon', 'seed=2')])
      expect(await decodedSrc(page, selector)).toMatch(/^thumbs\//);
    expect(await page.$$eval('[data-pick]', (buttons) => buttons.length)).toBe(4);
    expect(browser.networkRequests).toEqual([]);
  });

  it('updates itself after a save: the changed asset gets a new image, the other keeps its own', async () => {
    const sun = await decodedSrc(page, card('sun', 'seed=1'));
    const moon = await decodedSrc(page, card('moon', 'seed=1'));
    await writeFile(project.recipe, recipeText({ sunSubject: 'a red sun over dunes' }));
    await page.waitForFunction(
      ({ selector, old }) => {
        const img = document.querySelector<HTMLImageElement>(`${selector} img`);
        return img !== null && img.getAttribute('src') !== old && img.complete && img.naturalWidth > 0;
      },
      { selector: card('sun', 'seed=1'), old: sun },
      LONG,
    );
    await page.waitForSelector('#dev-panel[data-phase="idle"]', LONG);
    expect(await decodedSrc(page, card('moon', 'seed=1'))).toBe(moon);
  });

  it('an invalid save shows the problem with file:line:column; the last good image stays', async () => {
    const sun = await decodedSrc(page, card('sun', 'seed=1'));
    await writeFile(project.recipe, recipeText({ broken: true }));
    const problem = await page.waitForSelector('#dev-problems li', LONG);
    expect(await problem.textContent()).toContain(`${BROKEN_AT}  outputs[0].widths: expected a list`);
    expect(await page.getAttribute('#dev-panel', 'data-phase')).toBe('invalid');
    expect(await decodedSrc(page, card('sun', 'seed=1'))).toBe(sun);
    expect(await page.$$eval('[data-card]', (cards) => cards.length)).toBe(4);
  });

  it('fixing it recovers', async () => {
    await writeFile(project.recipe, recipeText({ sunSubject: 'a red sun over dunes' }));
    await page.waitForSelector('#dev-panel[data-phase="idle"]', LONG);
    expect(await page.$('#dev-problems')).toBeNull();
    expect(await decodedSrc(page, card('sun', 'seed=2'))).toMatch(/^thumbs\//);
  });

  it('Pick writes pick: into the recipe, and then the page shows only the picked variant', async () => {
    await page.click(`${card('sun', 'seed=2')} [data-pick]`);
    await page.waitForFunction(
      () => {
        const suns = document.querySelectorAll('[data-card][data-asset="sun"]');
        const moons = document.querySelectorAll('[data-card][data-asset="moon"]');
        return suns.length === 1 && suns[0]?.getAttribute('data-variant') === 'seed=2' && moons.length === 2;
      },
      undefined,
      LONG,
    );
    const text = await readFile(project.recipe, 'utf8');
    expect(text).toMatch(/- id: sun\n {4}subject: a red sun over dunes\n {4}pick: \{ seed: 2 \}\n/);
    expect(text).toContain('# tiles for the dev tests'); // the rest of the file as it was
    expect(await decodedSrc(page, card('sun', 'seed=2'))).toMatch(/^thumbs\//);
  });
});

describe('dev page in Chromium (Replicate)', () => {
  let fake: FakeReplicate;
  let project: Awaited<ReturnType<typeof makeProject>>;
  let session: DevSession;
  let browser: TestBrowser;

  beforeAll(async () => {
    fake = await startFakeReplicate({ token: 'test-token-for-dev-pages', behaviour: { runMs: 20 } });
    project = await makeProject();
    session = await startDev(['tiles.yaml'], {
      cwd: project.dir,
      port: 0,
      provider: 'replicate',
      replicate: { token: 'test-token-for-dev-pages', baseUrl: fake.baseUrl },
    });
    browser = await launchBrowser({ allow: [new URL(session.url).origin] });
  });

  afterAll(async () => {
    await browser?.close();
    await session?.close();
    await fake?.close();
    await rm(project.dir, { recursive: true, force: true });
  });

  it('shows the cost and creates nothing until Run it is pressed in the page', async () => {
    await waitForState(session, (state) => state.phase === 'confirm', 'the question');
    const page = await openPage(browser, session);
    const question = await page.waitForSelector('#dev-confirm', LONG);
    expect(await question.textContent()).toContain('This change runs 4 tasks on Replicate for about $0.012.');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fake.counts.create).toBe(0);
    expect(await page.$$eval('[data-card]', (cards) => cards.length)).toBe(0);

    await page.click('#dev-confirm button[value="run"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-card]').length === 4, undefined, LONG);
    expect(fake.counts.create).toBe(4);
    expect(await page.textContent('#dev-spend')).toContain('spent $0.012 this session');
    expect(await page.content()).not.toContain('test-token-for-dev-pages');
  });
});
