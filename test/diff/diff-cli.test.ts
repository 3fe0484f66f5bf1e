/**
 * `assetgen diff` on two folders made offline by the CLI: exact classification and reasons, pixel scores
 * of the real files, the Markdown summary, escaping, exit codes, and refusals that write nothing.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChangeReport } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { type DiffFixture, HOSTILE, makeDiffFixture } from './fixture.js';

describe('assetgen diff', () => {
  let fixture: DiffFixture;
  let dir: string;
  beforeAll(async () => {
    fixture = await makeDiffFixture();
    dir = fixture.dir;
  }, 180_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('classifies every asset and names the reasons from the step records', async () => {
    const report = await createChangeReport({ base: 'base', head: 'head', cwd: dir, to: 'lib-report' });
    const byLabel = Object.fromEntries(report.diff.assets.map((asset) => [asset.label, asset]));
    expect(report.diff.assets.map((asset) => [asset.label, asset.change])).toEqual([
      ['banners/hero', 'changed'],
      ['shop/mug', 'changed'],
      ['shop/vase', 'added'],
      ['shop/sneaker', 'removed'],
      ['shop/lamp', 'unchanged'],
    ]);
    expect(report.diff.counts).toEqual({ changed: 2, added: 1, removed: 1, unchanged: 1 });
    expect(byLabel['shop/mug']?.reasons).toEqual([
      {
        kind: 'prompt',
        step: 'draft',
        detail:
          'prompt: "a glazed ceramic coffee mug, studio light" → "a red enamel mug <img src=x onerror=alert(1)> @octocat | *b…"',
        before: 'a glazed ceramic coffee mug, studio light',
        after: `${HOSTILE}, studio light`,
      },
    ]);
    // Only the first cause: the image step after the changed draft is not a reason of its own.
    expect(byLabel['banners/hero']?.reasons).toEqual([
      {
        kind: 'post-processing',
        step: 'brand',
        detail: 'modulate {"brightness":1} → {"brightness":0.4}',
      },
    ]);
    expect(byLabel['shop/mug']?.outputs.map((output) => [output.path, output.change])).toEqual([
      ['shop/mug.png', 'changed'],
    ]);
    expect(byLabel['banners/hero']?.outputs.map((output) => output.change)).toEqual(['changed', 'changed']);
    expect(report.changed).toBe(true);
    // Offline: nothing paid; the head re-made the changed and added drafts, the rest came from the cache.
    expect(report.diff.cost).toEqual({
      spentUsd: 0,
      paidSteps: 0,
      unknownCostSteps: 0,
      offlineSteps: 2,
      cachedSteps: 2,
    });
  });

  it('scores the real pixels: > 0 where the picture changed, 0 where it did not', async () => {
    const report = await createChangeReport({ base: 'base', head: 'head', cwd: dir, to: 'lib-report' });
    const mug = report.visuals.get('shop/mug');
    const hero = report.visuals.get('banners/hero');
    expect(mug?.score).toBeGreaterThan(0.2);
    expect(hero?.score).toBeGreaterThan(0.2);
    expect(hero?.afterPath).toBe('banners/hero-320w.webp'); // the largest file both sides have
    expect(report.visuals.get('shop/lamp')?.score).toBe(0);
    // The previews and the difference picture are small webp files that decode.
    for (const image of [mug?.before, mug?.after, mug?.diff, hero?.diff]) {
      expect(image).toBeDefined();
      const meta = await sharp(join(dir, 'lib-report', image?.file ?? '')).metadata();
      expect(meta.format).toBe('webp');
      expect([meta.width, meta.height]).toEqual([image?.width, image?.height]);
      expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(320);
    }
    expect(report.visuals.get('shop/vase')?.after).toBeDefined();
    expect(report.visuals.get('shop/sneaker')?.before).toBeDefined();
  });

  it('prints one line per change, writes index.html and the Markdown, and exits 0 without --fail-on-change', async () => {
    const result = await runCli(['diff', 'base', 'head', '--markdown', 'comment.md'], { cwd: dir });
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[0]).toMatch(
      /^changed {2}banners\/hero post-processing \(brand\); \d+\.\d % of pixels differ$/,
    );
    expect(lines[1]).toMatch(/^changed {2}shop\/mug prompt \(draft\); \d+\.\d % of pixels differ$/);
    expect(lines.slice(2, 4)).toEqual(['added    shop/vase', 'removed  shop/sneaker']);
    expect(lines[4]).toBe(
      '2 changed, 1 added, 1 removed, 1 unchanged; head spent $0: 2 placeholders made offline, 2 cache hits' +
        ' → .assetgen/diff/index.html, comment.md',
    );
    const html = await readFile(join(dir, '.assetgen/diff/index.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    const thumbs = await readdir(join(dir, '.assetgen/diff/thumbs'));
    // 2 changed × (before, after, difference) + 1 added + 1 removed.
    expect(thumbs.filter((name) => name.startsWith('diff-'))).toHaveLength(2);
    expect(thumbs).toHaveLength(8);
  });

  it('writes a Markdown summary with counts, reasons, scores and cost, everything escaped', async () => {
    const markdown = await readFile(join(dir, 'comment.md'), 'utf8');
    const lines = markdown.split('\n');
    expect(lines[0]).toBe('## assetgen change report');
    expect(lines[2]).toBe(
      '**2 changed · 1 added · 1 removed · 1 unchanged** · head spent $0: 2 placeholders made offline, 2 cache hits',
    );
    expect(lines.slice(4, 7)).toEqual([
      '| asset | change | why | difference |',
      '| --- | --- | --- | --: |',
      expect.stringMatching(
        /^\| banners\/hero \| changed \| \*\*post-processing\*\* \(brand\): modulate \{"brightness":1\} → \{"brightness":0\.4\} \| \d+\.\d % \|$/,
      ),
    ]);
    const mugRow = lines.find((line) => line.startsWith('| shop/mug |')) ?? '';
    const mugScore = /\| (\d+\.\d %) \|$/.exec(mugRow)?.[1];
    expect(mugScore).toBeDefined();
    expect(mugRow).toBe(
      '| shop/mug | changed | **prompt** (draft): prompt: "a glazed ceramic coffee mug, studio light" → ' +
        `"a red enamel mug \\<img src=x onerror=alert(1)\\> @\u200boctocat \\| \\*b…" | ${mugScore} |`,
    );
    expect(mugRow.split(' | ')).toHaveLength(4); // the pipe inside the prompt does not add a column
    expect(lines).toContain('| shop/vase | added | — | — |');
    expect(lines).toContain('| shop/sneaker | removed | — | — |');
    expect(markdown).toContain('<details><summary>1 unchanged</summary>\n\nshop/lamp\n\n</details>');
    expect(markdown).not.toMatch(/(^|[^\\])<img|@octocat/);
  });

  it('HTML-escapes every text from the manifests', async () => {
    const html = await readFile(join(dir, '.assetgen/diff/index.html'), 'utf8');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(
      '&lt;img src=x onerror=alert(1)&gt; @octocat | *bold* [link](https://example.com), studio light',
    );
    expect(html.match(/<img /g)).toHaveLength(8);
    expect(html).not.toMatch(/<script|https?:\/\/(?!example\.com)/);
  });

  it('--fail-on-change exits 1 when something changed and 0 when nothing did', async () => {
    const changed = await runCli(['diff', 'base', 'head', '--to', 'r1', '--fail-on-change'], { cwd: dir });
    expect(changed.code).toBe(1);
    const same = await runCli(['diff', 'base', 'base', '--to', 'r2', '--fail-on-change'], { cwd: dir });
    expect(same.code).toBe(0);
    expect(same.out).toBe(
      '0 changed, 0 added, 0 removed, 4 unchanged; head spent $0: 4 placeholders made offline → r2/index.html',
    );
    expect(await readdir(join(dir, 'r2', 'thumbs'))).toEqual([]);
  });

  it('--markdown - prints the Markdown on stdout and the lines on stderr', async () => {
    const result = await runCli(['diff', 'base', 'head', '--to', 'r3', '--markdown', '-'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.out.startsWith('## assetgen change report\n')).toBe(true);
    expect(result.err).toContain('2 changed, 1 added, 1 removed, 1 unchanged');
  });

  it('removes thumbnails an earlier report left and no longer uses', async () => {
    await runCli(['diff', 'base', 'head', '--to', 'r4'], { cwd: dir });
    expect((await readdir(join(dir, 'r4', 'thumbs'))).length).toBe(8);
    await writeFile(join(dir, 'r4', 'thumbs', 'notes.txt'), 'mine');
    await runCli(['diff', 'base', 'base', '--to', 'r4'], { cwd: dir });
    expect(await readdir(join(dir, 'r4', 'thumbs'))).toEqual(['notes.txt']);
  });

  describe('refuses bad folders with exit 2 and writes nothing', () => {
    const refuse = async (base: string, head: string, message: RegExp) => {
      const result = await runCli(['diff', base, head, '--to', 'refused', '--markdown', 'refused.md'], {
        cwd: dir,
      });
      expect(result.code).toBe(2);
      expect(result.err).toMatch(message);
      await expect(stat(join(dir, 'refused'))).rejects.toThrow();
      await expect(stat(join(dir, 'refused.md'))).rejects.toThrow();
    };

    it('a report folder whose index.html is someone else’s page', async () => {
      await mkdir(join(dir, 'site'));
      await writeFile(join(dir, 'site', 'index.html'), '<h1>my site</h1>');
      const result = await runCli(['diff', 'base', 'head', '--to', 'site'], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.err).toMatch(
        /^error: .*site\/index\.html exists and is not an assetgen change report; choose another folder with --to \(nothing was written\)$/,
      );
      expect(await readdir(join(dir, 'site'))).toEqual(['index.html']);
      expect(await readFile(join(dir, 'site', 'index.html'), 'utf8')).toBe('<h1>my site</h1>');
    });

    it('a folder that does not exist', async () => {
      await refuse(
        'base',
        'nowhere',
        /^error: the head folder .*nowhere does not exist \(expected the --out folder of an assetgen run\)$/,
      );
    });

    it('a folder without a manifest', async () => {
      await mkdir(join(dir, 'empty'));
      await refuse(
        'empty',
        'head',
        /^error: base folder: no manifest at .*empty\/manifest\.json \(assetgen run writes one\)$/,
      );
    });

    it('a manifest that is not JSON', async () => {
      await mkdir(join(dir, 'broken'));
      await writeFile(join(dir, 'broken', 'manifest.json'), '{"recipes": ');
      await refuse(
        'base',
        'broken',
        /^error: head folder: .*broken\/manifest\.json is not JSON \(.*\); run assetgen again to rewrite it$/,
      );
    });

    it('a manifest of a newer format than this assetgen reads', async () => {
      const manifest = JSON.parse(await readFile(join(dir, 'head', 'manifest.json'), 'utf8'));
      await mkdir(join(dir, 'future'));
      await writeFile(
        join(dir, 'future', 'manifest.json'),
        JSON.stringify({ ...manifest, manifest_version: 99 }),
      );
      await refuse(
        'base',
        'future',
        /^error: head folder: .*future\/manifest\.json has format version 99, newer than this assetgen reads \(\d+\).*: upgrade assetgen to read it$/,
      );
    });

    it('a manifest that does not match the schema, with the place', async () => {
      const manifest = JSON.parse(await readFile(join(dir, 'base', 'manifest.json'), 'utf8'));
      manifest.recipes.shop.assets[0].outputs[0].width = 'wide';
      await mkdir(join(dir, 'wrong'));
      await writeFile(join(dir, 'wrong', 'manifest.json'), JSON.stringify(manifest));
      await refuse(
        'wrong',
        'head',
        /^error: base folder: .*wrong\/manifest\.json does not match the manifest schema:\n {2}\/recipes\/shop\/assets\/0\/outputs\/0\/width: must be integer$/,
      );
    });
  });
});
