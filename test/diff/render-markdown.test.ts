/** The Markdown summary's shape: folding, the hard length limit, escaping, and the empty case. */
import { describe, expect, it } from 'vitest';
import type { AssetDiff, AssetVisual, ManifestDiff } from '../../src/diff/index.js';
import { escapeMarkdown, renderMarkdown } from '../../src/diff/index.js';

const cost = { spentUsd: 0.0123, paidSteps: 4, unknownCostSteps: 0, offlineSteps: 0, cachedSteps: 10 };

function changedAsset(index: number): AssetDiff {
  return {
    label: `catalog/item-${index}`,
    recipe: 'catalog',
    id: `item-${index}`,
    variant: '',
    change: 'changed',
    reasons: [
      {
        kind: 'prompt',
        step: 'draft',
        detail: `prompt: "${'a very long prompt '.repeat(20)}" → "${'another one '.repeat(20)}"`,
      },
      { kind: 'post-processing', step: 'tidy', detail: 'extend {"all":24} → {"all":48}' },
      { kind: 'seed', step: 'draft', detail: '1 → 2' },
    ],
    outputs: [],
  };
}

function diffOf(assets: AssetDiff[], unchanged = 0): ManifestDiff {
  const all = [
    ...assets,
    ...Array.from(
      { length: unchanged },
      (_, index): AssetDiff => ({
        label: `catalog/same-${index}`,
        recipe: 'catalog',
        id: `same-${index}`,
        variant: '',
        change: 'unchanged',
        reasons: [],
        outputs: [],
      }),
    ),
  ];
  return {
    assets: all,
    counts: { changed: assets.length, added: 0, removed: 0, unchanged },
    cost,
    generators: { base: '0.1.0', head: '0.1.0' },
  };
}

const scores = (count: number) =>
  new Map<string, AssetVisual>(
    Array.from({ length: count }, (_, index) => [`catalog/item-${index}`, { notes: [], score: 0.5 }]),
  );

describe('renderMarkdown', () => {
  it('shows the first rows, folds the rest in <details>, and folds the unchanged list', () => {
    const markdown = renderMarkdown(
      diffOf(
        Array.from({ length: 30 }, (_, index) => changedAsset(index)),
        3,
      ),
      scores(30),
    );
    const lines = markdown.split('\n');
    expect(lines[2]).toBe(
      '**30 changed · 0 added · 0 removed · 3 unchanged** · head spent $0.0123: 4 paid predictions, 10 cache hits',
    );
    const open = lines.indexOf('<details><summary>5 more</summary>');
    expect(open).toBeGreaterThan(0);
    expect(lines.slice(6, open).filter((line) => line.startsWith('| catalog/'))).toHaveLength(25);
    expect(lines.slice(open).filter((line) => line.startsWith('| catalog/'))).toHaveLength(5);
    expect(markdown).toContain(
      '<details><summary>3 unchanged</summary>\n\ncatalog/same-0, catalog/same-1, catalog/same-2\n\n</details>',
    );
    // Each cell stays short: long reasons are cut between reasons.
    const row = lines.find((line) => line.startsWith('| catalog/item-0 |')) ?? '';
    expect(row.length).toBeLessThan(420);
    expect(row).toMatch(/\| 50\.0 % \|$/);
  });

  it('never exceeds the limit, and says how many rows it left out', () => {
    const many = Array.from({ length: 5000 }, (_, index) => changedAsset(index));
    const markdown = renderMarkdown(diffOf(many, 5000), scores(5000));
    expect(markdown.length).toBeLessThanOrEqual(60_000);
    expect(markdown).toMatch(
      /\n… and \d+ more not listed here \(too long for a comment\): see the HTML report\.\n/,
    );
    expect(markdown).toContain('5000 unchanged (listed in the HTML report).');
    const small = renderMarkdown(diffOf(many), scores(5000), { maxLength: 5000 });
    expect(small.length).toBeLessThanOrEqual(5000);
    expect(small.endsWith('see the HTML report.\n')).toBe(true);
  });

  it('says so when nothing changed, and adds a footer as given', () => {
    const markdown = renderMarkdown(diffOf([], 2), new Map(), {
      footer: '[Full report](https://example.com/r)',
    });
    expect(markdown).toBe(
      '## assetgen change report\n\n**0 changed · 0 added · 0 removed · 2 unchanged** · head spent $0.0123: 4 paid predictions, 10 cache hits\n\n' +
        'Nothing changed.\n\n<details><summary>2 unchanged</summary>\n\ncatalog/same-0, catalog/same-1\n\n</details>\n\n' +
        '[Full report](https://example.com/r)\n',
    );
  });

  it('escapes inline Markdown, HTML, pipes and @mentions', () => {
    expect(escapeMarkdown('<b>x</b> | *y* _z_ `c` [l](u) @team #1 \\ ~s~ &amp;')).toBe(
      '\\<b\\>x\\</b\\> \\| \\*y\\* \\_z\\_ \\`c\\` \\[l\\](u) @\u200bteam \\#1 \\\\ \\~s\\~ \\&amp;',
    );
  });
});
