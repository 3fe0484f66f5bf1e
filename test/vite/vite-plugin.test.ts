/**
 * `assetgen/vite` in a real Vite build: a tiny app in a temporary folder imports two assets; the plugin
 * runs the recipe at build start (offline), emits the files under hashed names with the output's bytes,
 * and the module's values are checked by importing the built entry chunk in Node. An unknown id fails the
 * build naming the assets there are; in dev the files are served from the output folder.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { thumbHashToRGBA } from 'thumbhash';
import { build, createLogger, createServer, type InlineConfig } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manifest, readManifest } from '../../src/index.js';
import { type AssetgenImage, type AssetgenViteOptions, assetgen } from '../../src/vite/index.js';

const RECIPE = `name: cards
output: site/cards
alt: "{{ steps.alt.text | trim }}"
assets:
  - id: autumn
    subject: a maple leaf
  - id: winter
    subject: a snowflake
steps:
  - id: alt
    model: meta/meta-llama-3-70b-instruct
    input: { prompt: "Describe {{ subject }} for a screen reader, in one sentence." }
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ subject }}", aspect_ratio: "3:2", megapixels: "0.25" }
outputs:
  - path: "{{ id }}-{{ width }}.webp"
    widths: [120, 60, 240]
  - path: "{{ id }}-{{ width }}.png"
    widths: [60, 120]
`;

const MAIN = `import autumn from 'assetgen:cards/autumn';
import winter from 'assetgen:site/cards/winter';
globalThis.__assets = { autumn, winter };
`;

interface Built {
  assets: Record<'autumn' | 'winter', AssetgenImage>;
  warnings: string[];
}

describe('the Vite plugin', () => {
  let dir: string;
  let manifest: Manifest;
  let built: Built;
  const plugin = (options: AssetgenViteOptions = {}) =>
    assetgen({ out: 'output', run: { recipes: ['cards.yaml'], cacheDir: '.cache' }, ...options });

  async function buildApp(main: string, options?: AssetgenViteOptions): Promise<Built> {
    await writeFile(join(dir, 'main.js'), main);
    const warnings: string[] = [];
    const logger = createLogger('warn', { allowClearScreen: false });
    logger.warn = (message) => {
      warnings.push(message);
    };
    logger.error = () => {}; // a failing build throws: that is what the tests look at
    const config: InlineConfig = {
      root: dir,
      configFile: false,
      logLevel: 'warn',
      customLogger: logger,
      plugins: [plugin(options)],
      build: { outDir: 'dist', emptyOutDir: true, modulePreload: { polyfill: false } },
    };
    await build(config);
    const entry = (await readdir(join(dir, 'dist', 'assets'))).find((name) => name.endsWith('.js'));
    const globals = globalThis as { __assets?: Built['assets'] };
    delete globals.__assets;
    await import(`${pathToFileURL(join(dir, 'dist', 'assets', entry ?? 'missing.js')).href}?${Date.now()}`);
    return { assets: globals.__assets as unknown as Built['assets'], warnings };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-vite-'));
    await writeFile(join(dir, 'cards.yaml'), RECIPE);
    await writeFile(
      join(dir, 'index.html'),
      '<!doctype html><html><body><script type="module" src="/main.js"></script></body></html>',
    );
    built = await buildApp(MAIN);
    manifest = await readManifest(join(dir, 'output'));
  }, 180_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const outputsOf = (id: string) => manifest.recipes.cards?.assets.find((a) => a.id === id)?.outputs ?? [];
  const emitted = (url: string) => readFile(join(dir, 'dist', url));

  it('runs the recipe at build start and emits every file under a hashed name, with the output bytes', async () => {
    const names = await readdir(join(dir, 'dist', 'assets'));
    for (const id of ['autumn', 'winter']) {
      for (const output of outputsOf(id)) {
        const stem =
          output.path
            .split('/')
            .at(-1)
            ?.replace(/\.(\w+)$/, '') ?? '';
        const name = names.find((file) => file.startsWith(`${stem}-`) && file.endsWith(`.${output.format}`));
        expect(name, output.path).toMatch(/^[\w-]+-[\w-]{8}\.(webp|png)$/);
        expect(await readFile(join(dir, 'dist', 'assets', name ?? ''))).toEqual(
          await readFile(join(dir, 'output', output.path)),
        );
      }
    }
    // Nothing but the app's own chunk and the ten images.
    expect(names.length).toBe(11);
  });

  it("gives src, srcset, width and height of the asset's first output", async () => {
    for (const id of ['autumn', 'winter'] as const) {
      const image = built.assets[id];
      const outputs = outputsOf(id);
      const widest = outputs.find((output) => output.path.endsWith(`${id}-240.webp`));
      expect(image.src).toMatch(new RegExp(`^/assets/${id}-240-[\\w-]{8}\\.webp$`));
      expect(await emitted(image.src)).toEqual(await readFile(join(dir, 'output', widest?.path ?? '')));
      const meta = await sharp(await emitted(image.src)).metadata();
      expect([image.width, image.height]).toEqual([meta.width, meta.height]);
      expect([image.width, image.height]).toEqual([240, widest?.height]);
      expect(image.type).toBe('image/webp');

      const entries = image.srcset.split(', ').map((entry) => entry.split(' '));
      expect(entries.map(([, descriptor]) => descriptor)).toEqual(['60w', '120w', '240w']);
      for (const [url, descriptor] of entries) {
        const width = Number.parseInt(descriptor ?? '', 10);
        const output = outputs.find((o) => o.format === 'webp' && o.width === width);
        expect(await emitted(url ?? '')).toEqual(await readFile(join(dir, 'output', output?.path ?? '')));
      }
      expect(image.sources.map((source) => source.type)).toEqual(['image/webp', 'image/png']);
      expect(image.sources[0]?.srcset).toBe(image.srcset);
      expect(image.sources[1]?.srcset).toMatch(
        new RegExp(`^/assets/${id}-60-[\\w-]{8}\\.png 60w, /assets/${id}-120-[\\w-]{8}\\.png 120w$`),
      );
    }
  });

  it('gives a placeholder (LQIP data URI), a ThumbHash that decodes to a small image, and alt from the text step', async () => {
    for (const id of ['autumn', 'winter'] as const) {
      const image = built.assets[id];
      const widest = outputsOf(id).find((output) => output.path.endsWith(`${id}-240.webp`));
      expect(image.placeholder).toBe(widest?.lqip);
      const lqip = await sharp(Buffer.from(image.placeholder.split(',')[1] ?? '', 'base64')).metadata();
      expect(Math.max(lqip.width, lqip.height)).toBe(16);
      const decoded = thumbHashToRGBA(Buffer.from(image.thumbhash, 'base64'));
      expect(Math.max(decoded.w, decoded.h)).toBeLessThanOrEqual(32);
      expect(decoded.w / decoded.h).toBeCloseTo(1.5, 0);

      const asset = manifest.recipes.cards?.assets.find((a) => a.id === id);
      const step = asset?.steps.find((s) => s.id === 'alt');
      const text = step?.kind === 'model' ? step.text : undefined;
      expect(text?.trim().length).toBeGreaterThan(3);
      expect(image.alt).toBe(text?.trim());
      expect(image.alt).toBe(asset?.alt);
      expect(image.offline).toBe(true);
    }
    expect(built.warnings.join('\n')).toContain('assetgen:cards/autumn is an offline placeholder');
  });

  it('an unknown id fails the build, naming the assets there are', async () => {
    const failure = await buildApp("import x from 'assetgen:cards/autum';\nconsole.log(x);\n").catch(
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('no asset "cards/autum"');
    expect((failure as Error).message).toContain('available: site/cards/autumn, site/cards/winter');
  }, 120_000);

  it('offline: "error" refuses to ship placeholders', async () => {
    const failure = await buildApp(MAIN, { offline: 'error' }).catch((error: Error) => error);
    expect((failure as Error).message).toContain('assetgen:cards/autumn is an offline placeholder');
  }, 120_000);

  it('in dev, the module points at the output folder, served under /@assetgen/', async () => {
    const server = await createServer({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      plugins: [assetgen({ out: 'output' })],
      server: { host: '127.0.0.1', port: 0, strictPort: false },
      optimizeDeps: { noDiscovery: true, include: [] },
    });
    try {
      await server.listen();
      const image = (await server.ssrLoadModule('assetgen:cards/winter')).default as AssetgenImage;
      expect(image.src).toBe('/@assetgen/site/cards/winter-240.webp');
      const origin = server.resolvedUrls?.local[0]?.replace(/\/$/, '') ?? '';
      const response = await fetch(`${origin}${image.src}`);
      expect(response.headers.get('content-type')).toBe('image/webp');
      expect(Buffer.from(await response.arrayBuffer())).toEqual(
        await readFile(join(dir, 'output', 'site/cards/winter-240.webp')),
      );
      // Only files the manifest lists.
      expect((await fetch(`${origin}/@assetgen/manifest.json`)).status).toBe(404);
    } finally {
      await server.close();
    }
  }, 120_000);
});
