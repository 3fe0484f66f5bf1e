/**
 * A real Chromium for page tests (Debian's /usr/bin/chromium, or CHROMIUM_PATH), driven by
 * playwright-core with a fresh profile. Every request that is not a `file:` URL (or one of the `allow`ed
 * origins, e.g. a dev server on 127.0.0.1) is blocked and recorded, so a test can prove that a page needs
 * no network.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface TestBrowser {
  context: BrowserContext;
  /** URLs the pages tried to reach over the network (blocked). */
  networkRequests: string[];
  close(): Promise<void>;
}

export async function launchBrowser(options: { allow?: readonly string[] } = {}): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium, as .ci/run does) or set CHROMIUM_PATH`,
    );
  const profile = await mkdtemp(join(tmpdir(), 'assetgen-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const networkRequests: string[] = [];
  await context.route(
    (url) => url.protocol !== 'file:' && !(options.allow ?? []).includes(url.origin),
    (route) => {
      networkRequests.push(route.request().url());
      return route.abort();
    },
  );
  return {
    context,
    networkRequests,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
