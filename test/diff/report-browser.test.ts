/**
 * The HTML report in real Chromium from file://: every picture decodes, every URL is relative and stays
 * on disk, links to the originals resolve, and the hostile prompt stays text (no dialog, no extra image).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type DiffFixture, HOSTILE, makeDiffFixture } from './fixture.js';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The little of the DOM these checks use (the project type-checks without the DOM library). */
interface PageImage {
  naturalWidth: number;
  naturalHeight: number;
  getAttribute(name: string): string | null;
  scrollIntoView(): void;
  decode(): Promise<void>;
}
interface PageDocument {
  images: Iterable<PageImage>;
  querySelectorAll(selector: string): Iterable<{ getAttribute(name: string): string | null }>;
}

describe('the HTML report in Chromium', () => {
  let fixture: DiffFixture;
  let browser: BrowserContext;
  let profile: string;
  beforeAll(async () => {
    fixture = await makeDiffFixture();
    const result = await runCli(['diff', 'base', 'head', '--to', 'report'], { cwd: fixture.dir });
    expect(result.code).toBe(0);
    profile = await mkdtemp(join(tmpdir(), 'assetgen-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_FLAGS,
      viewport: { width: 1200, height: 800 },
    });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await rm(profile, { recursive: true, force: true });
    await rm(fixture.dir, { recursive: true, force: true });
  });

  it('decodes every picture, requests only local files, and runs nothing from the manifests', async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const reportUrl = pathToFileURL(join(fixture.dir, 'report', 'index.html')).href;
    await page.goto(reportUrl);
    // Pictures load lazily: bring each into view and wait until it has decoded.
    const images = await page.evaluate(async () => {
      const found = [...(globalThis as unknown as { document: PageDocument }).document.images];
      for (const image of found) {
        image.scrollIntoView();
        await image.decode().catch(() => undefined);
      }
      return found.map((image) => ({
        src: image.getAttribute('src') ?? '',
        naturalWidth: image.naturalWidth,
        naturalHeight: image.naturalHeight,
      }));
    });
    // 2 changed × (before, after, difference) + the added one + the removed one.
    expect(images).toHaveLength(8);
    for (const image of images) {
      expect(image.src).toMatch(/^thumbs\/([0-9a-f]{64}-p320|diff-[0-9a-f]{16}-[0-9a-f]{16}-c256)\.webp$/);
      expect(image.naturalWidth, image.src).toBeGreaterThan(0);
      expect(image.naturalHeight, image.src).toBeGreaterThan(0);
    }
    expect(dialogs).toEqual([]);
    expect(requested.length).toBeGreaterThan(1);
    for (const url of requested) expect(url.startsWith(pathToFileURL(fixture.dir).href), url).toBe(true);

    const links = await page.evaluate(() =>
      [...(globalThis as unknown as { document: PageDocument }).document.querySelectorAll('a[href]')].map(
        (a) => a.getAttribute('href') ?? '',
      ),
    );
    const originals = links.filter((href) => !href.startsWith('#'));
    expect(originals).toHaveLength(6);
    for (const href of originals) {
      expect(href).toMatch(/^\.\.\/(base|head)\//);
      await stat(fileURLToPath(new URL(href, reportUrl)));
    }

    const text = (await page.locator('#asset-shop-mug').textContent()) ?? '';
    expect(text).toContain(`${HOSTILE}, studio light`);
    expect(text).toContain('prompt');
    await page.close();
  });
});
