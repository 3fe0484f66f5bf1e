/**
 * The review page's text: escaping of everything that comes from a manifest, relative links, the pick
 * command's shell quoting, the model's grouping and facts, and the page's Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Manifest, ManifestAsset } from '../../src/manifest/types.js';
import { attr, relativeUrl, text } from '../../src/review/html.js';
import { buildReviewModel, imagesOf } from '../../src/review/model.js';
import { PAGE_SCRIPT } from '../../src/review/page-script.js';
import { PAGE_STYLE } from '../../src/review/page-style.js';
import { pickCommand, shellWord, variantName } from '../../src/review/pick-command.js';
import { renderReviewPage } from '../../src/review/render-page.js';
import type { Preview } from '../../src/review/thumbnails.js';

const HASH = (n: number): string => n.toString(16).padStart(64, '0');
const HOSTILE = `<script>alert(1)</script>"><img src=x onerror=alert(2)> & 'quoted'`;

function asset(
  id: string,
  variant: ManifestAsset['variant'],
  extra: Partial<ManifestAsset> = {},
): ManifestAsset {
  return {
    id,
    variant,
    variables: { id },
    status: 'ok',
    placeholder: false,
    steps: [
      {
        id: 'idea',
        kind: 'model',
        provider: 'replicate',
        model: 'meta/meta-llama-3-70b-instruct',
        version: null,
        input: { prompt: 'describe a pear' },
        seed: null,
        prediction_id: 'p1',
        estimated_usd: 0.001,
        actual_usd: 0.0004,
        cache_hit: true,
        duration_ms: 900,
        files: [],
        text: 'A pear on a table.',
      },
      {
        id: 'photo',
        kind: 'model',
        provider: 'replicate',
        model: 'stability-ai/sdxl',
        version: 'a'.repeat(64),
        input: { prompt: HOSTILE, seed: 42 },
        seed: 42,
        prediction_id: 'p2',
        estimated_usd: 0.003,
        actual_usd: null,
        cache_hit: false,
        duration_ms: 4000,
        files: [{ sha256: HASH(1), bytes: 100, content_type: 'image/png' }],
      },
      {
        id: 'tidy',
        kind: 'image',
        provider: 'local',
        operations: [{ trim: {} }, { extend: { all: 4 } }],
        cache_hit: false,
        duration_ms: 5,
      },
    ],
    outputs: [
      {
        path: `${id}/big #1.webp`,
        format: 'webp',
        width: 1280,
        height: 720,
        bytes: 9000,
        sha256: HASH(2),
        placeholder: false,
      },
      {
        path: `${id}/small.webp`,
        format: 'webp',
        width: 640,
        height: 360,
        bytes: 4000,
        sha256: HASH(3),
        placeholder: false,
      },
      {
        path: `${id}/tiny.webp`,
        format: 'webp',
        width: 320,
        height: 180,
        bytes: 2000,
        sha256: HASH(4),
        placeholder: false,
      },
    ],
    ...extra,
  };
}

const manifest: Manifest = {
  $schema: 'x',
  manifest_version: 2,
  generator: { name: 'assetgen', version: '9.9.9' },
  provider: { name: 'replicate', offline: false },
  placeholders: 0,
  recipes: {
    heroes: {
      source: 'recipes/my heroes.yaml',
      output: 'heroes',
      provider: { name: 'replicate', offline: false },
      assets: [
        asset('launch', { seed: 7, style: 'soft ink' }),
        asset('launch', { seed: 42, style: 'soft ink' }),
        asset(HOSTILE, {}, { status: 'failed', error: `boom ${HOSTILE}`, outputs: [] }),
      ],
    },
  },
};

const options = { outDir: '/p/output', cacheDir: '/p/.assetgen/cache', thumbnailSize: 480 };

describe('escaping', () => {
  it('turns markup into text in content and attributes', () => {
    expect(text(HOSTILE)).toBe(
      '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt; &amp; &#39;quoted&#39;',
    );
    expect(attr('a"b')).toBe('"a&quot;b"');
  });

  it('puts nothing of a hostile manifest into the page as markup', () => {
    const model = buildReviewModel(manifest, options);
    const previews = new Map<string, Preview>(
      imagesOf(model).map((image) => [
        image.sha256,
        { ok: true, file: `thumbs/${image.sha256}.webp`, width: 480, height: 270 },
      ]),
    );
    const html = renderReviewPage(model, {
      pageDir: '/p/.assetgen/review',
      previews,
      manifestLabel: HOSTILE,
      writtenAt: new Date(0),
    });
    expect(html.match(/<script/g)).toHaveLength(1); // the page's own
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('onerror=alert(2)>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain(`data-asset="${text(HOSTILE)}"`);
  });
});

describe('links and commands', () => {
  it('links files relative to the page, each segment percent-encoded', () => {
    expect(relativeUrl('/p/.assetgen/review', '/p/output/heroes/big #1.webp')).toBe(
      '../../output/heroes/big%20%231.webp',
    );
  });

  it('quotes values with spaces or shell characters, and nothing else', () => {
    expect(shellWord('seed')).toBe('seed');
    expect(shellWord('soft ink')).toBe("'soft ink'");
    expect(shellWord("it's")).toBe("'it'\\''s'");
    expect(shellWord('$HOME')).toBe("'$HOME'");
    expect(shellWord('')).toBe("''");
    expect(pickCommand('recipes/my heroes.yaml', 'launch', { seed: 42, style: 'soft ink', hd: true })).toBe(
      "assetgen pick 'recipes/my heroes.yaml' launch seed=42 style='soft ink' hd=true",
    );
    expect(pickCommand('r.yaml', 'a', {})).toBeUndefined();
    expect(variantName({ seed: 42, style: 'ink' })).toBe('seed=42,style=ink');
    expect(variantName({})).toBe('');
  });
});

describe('review model', () => {
  const model = buildReviewModel(manifest, options);
  const [first, , failed] = model.cards;

  it('groups cards by recipe, then asset, in manifest order', () => {
    expect(model.recipes.map((r) => r.name)).toEqual(['heroes']);
    expect(model.recipes[0]?.assets.map((a) => [a.id, a.cards.map((c) => c.variantName)])).toEqual([
      ['launch', ['seed=7,style=soft ink', 'seed=42,style=soft ink']],
      [HOSTILE, ['']],
    ]);
    expect(model.statusCounts).toEqual({ ok: 2, failed: 1, skipped: 0, cancelled: 0 });
  });

  it('takes prompt, seed and model from the last model step with a prompt', () => {
    expect(first?.prompt).toBe(HOSTILE);
    expect(first?.seed).toBe(42);
    expect(first?.model).toBe('stability-ai/sdxl');
    expect(first?.version).toBe('a'.repeat(64));
    expect(first?.costUsd).toBeCloseTo(0.0034, 10); // actual where known, else the estimate
    expect([first?.cachedSteps, first?.totalSteps]).toEqual([1, 3]);
    expect(first?.pick).toBe("assetgen pick 'recipes/my heroes.yaml' launch seed=7 style='soft ink'");
  });

  it('previews the smallest output that fills a thumbnail and shows the largest', () => {
    expect(first?.final?.sha256).toBe(HASH(3));
    expect(first?.final?.sources).toEqual([
      '/p/output/launch/small.webp',
      `/p/.assetgen/cache/objects/00/${HASH(3)}`,
    ]);
    expect(first?.final?.full).toBe('/p/output/launch/big #1.webp');
  });

  it('lists step images from the cache, and steps without files as text', () => {
    expect(first?.steps.map((s) => [s.id, s.what, s.images.length, s.text ?? null])).toEqual([
      ['idea', 'meta/meta-llama-3-70b-instruct', 0, 'A pear on a table.'],
      ['photo', 'stability-ai/sdxl', 1, null],
      ['tidy', 'image: trim, extend', 0, null], // no `files`: a manifest of an older assetgen
    ]);
    expect(first?.steps[1]?.images[0]?.sources).toEqual([`/p/.assetgen/cache/objects/00/${HASH(1)}`]);
  });

  it('keeps a failed asset with its error and no final image', () => {
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toBe(`boom ${HOSTILE}`);
    expect(failed?.final).toBeUndefined();
  });

  it('previews each distinct image once', () => {
    // Both launch variants share hashes here: 2 finals + 1 step image, not 6.
    expect(
      imagesOf(model)
        .map((image) => image.sha256)
        .sort(),
    ).toEqual([HASH(1), HASH(3)]);
  });
});

describe('content security policy', () => {
  it('allows exactly the page’s own style and script, and no network', () => {
    const html = renderReviewPage(buildReviewModel(manifest, options), {
      pageDir: '/p/r',
      previews: new Map(),
      manifestLabel: 'm',
      writtenAt: new Date(0),
    });
    const csp = (/http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '').replace(
      /&#39;/g,
      "'",
    );
    const hash = (s: string) => createHash('sha256').update(s).digest('base64');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src 'sha256-${hash(PAGE_SCRIPT)}'`);
    expect(csp).toContain(`style-src 'sha256-${hash(PAGE_STYLE)}'`);
    expect(csp).not.toMatch(/connect-src|unsafe-inline|https?:/);
    expect(html).toContain(`<script>${PAGE_SCRIPT}</script>`);
  });
});
