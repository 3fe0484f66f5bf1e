/**
 * End to end: four `run --shard k/4` CLI processes at once, each with its own local cache folder and
 * output folder (one CI runner each), sharing the in-repo S3 fake as cache and the fake Replicate, on
 * recipes where groups of assets share identical model tasks that fall in different shards. Then
 * `assetgen merge` of the four folders (as CI artifacts copied into one). Each distinct prediction is
 * created once between the shards; the merged manifest's outputs equal a single runner's (fresh caches);
 * the local tasks (image steps, output encodes) are run once each and split about evenly.
 */
// assetgen pins the SDK release: its notice about later releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/manifest/types.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { type FakeS3, startFakeS3 } from '../fake-s3/server.js';
import { distinctMaker } from '../helpers/marked-png.js';
import { fakeS3Env } from '../helpers/s3-cache.js';

const TOKEN = 'test-token-four-shards';
const BUCKET = 'assetgen-test';
const cliEntry = resolve(import.meta.dirname, '../../src/cli/main.ts');
const tsx = import.meta.resolve('tsx');

/** 24 assets, each its own prompt: distinct model, image and output tasks. */
const UNIQUE = `name: cards
provenance: label
assets:
${Array.from({ length: 24 }, (_, i) => `  - id: card${i}\n    thing: a card number ${i}`).join('\n')}
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ thing }}", megapixels: "0.25", seed: 7 }
  - id: small
    image:
      - resize: { width: 10 }
outputs:
  - path: "{{ id }}-{{ width }}.png"
    widths: [4, 8]
  - path: "{{ id }}.webp"
`;
/** 12 assets in 4 groups of 3 with the same prompt and seed: 4 distinct model tasks, each in several shards. */
const SHARED = `name: badges
provenance: label
assets:
${Array.from({ length: 12 }, (_, i) => `  - id: badge${i}\n    group: badge group ${i % 4}`).join('\n')}
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ group }}", megapixels: "0.25", seed: 3 }
outputs:
  - path: "{{ id }}.png"
`;
// `provenance: label`: the default embeds each file's prediction ids, which two cold runs (the shards, the
// single runner) cannot share; with the label only, a file's bytes are its pixels' and comparable.
const FILES = ['cards.yaml', 'badges.yaml'];
const DISTINCT_MODEL_TASKS = 24 + 4;

interface Child {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('four shards at once on a shared S3 cache', () => {
  let s3: FakeS3;
  let fake: FakeReplicate;
  let dir: string;

  beforeAll(async () => {
    s3 = await startFakeS3({ buckets: [BUCKET] });
    fake = await startFakeReplicate({
      token: TOKEN,
      makeOutputs: distinctMaker,
      behaviour: { runMs: 200, jitterMs: 150, coldStart: 'never' },
    });
    dir = await mkdtemp(join(tmpdir(), 'assetgen-four-shards-'));
    await writeFile(join(dir, 'cards.yaml'), UNIQUE);
    await writeFile(join(dir, 'badges.yaml'), SHARED);
  });
  afterAll(async () => {
    await fake.close();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The CLI in a child process of its own (a runner), with the AWS variables and the fake's URL. */
  const cli = (args: readonly string[]): Promise<Child> =>
    new Promise((done, fail) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          tsx,
          '--input-type=module',
          '-e',
          `import { main } from ${JSON.stringify(cliEntry)}; process.exitCode = await main(process.argv.slice(1));`,
          ...args,
        ],
        {
          cwd: dir,
          env: {
            ...process.env,
            REPLICATE_API_TOKEN: TOKEN,
            REPLICATE_API_BASE_URL: fake.baseUrl,
            ...fakeS3Env(s3),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('error', fail);
      child.on('close', (code) => done({ code, stdout, stderr }));
    });

  const outputsOf = async (out: string) => {
    const manifest = JSON.parse(await readFile(join(dir, out, 'manifest.json'), 'utf8')) as Manifest;
    return Object.entries(manifest.recipes).flatMap(([recipe, entry]) =>
      entry.assets.flatMap((asset) =>
        asset.outputs.map((o) => ({
          recipe,
          asset: asset.id,
          path: o.path,
          sha256: o.sha256,
          width: o.width,
          height: o.height,
        })),
      ),
    );
  };
  /** The local tasks (image steps, output encodes) a runner started, from its `--json` events. */
  const localStarts = (stdout: string) =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { type: string; task?: { model: string } })
      .filter((e) => e.type === 'task-started' && (e.task?.model === 'image' || e.task?.model === 'output'))
      .length;

  it("creates each distinct prediction once, merges into a single runner's outputs, splits local work evenly", async () => {
    const cache = `s3://${BUCKET}/shared`;
    const shards = await Promise.all(
      [1, 2, 3, 4].map((k) =>
        cli([
          'run',
          ...FILES,
          '--shard',
          `${k}/4`,
          '--cache',
          cache,
          '--cache-dir',
          `cache-${k}`,
          '--out',
          `part-${k}`,
          '--json',
        ]),
      ),
    );
    for (const shard of shards) expect(shard.code, shard.stderr).toBe(0);
    await fake.idle();
    // Identical tasks in different shards: one create each between the four runners.
    expect(fake.counts.create).toBe(DISTINCT_MODEL_TASKS);
    const predictions = fake.predictions.list();
    expect(new Set(predictions.map((p) => JSON.stringify(p.input))).size).toBe(predictions.length);

    // Every group of identical badges has assets in more than one shard (the parts say which ran where).
    const groups = new Map<number, Set<number>>();
    for (let k = 1; k <= 4; k++) {
      const part = JSON.parse(
        await readFile(join(dir, `part-${k}`, `manifest.shard-${k}-of-4.json`), 'utf8'),
      ) as Manifest;
      for (const asset of part.recipes.badges?.assets ?? []) {
        const group = Number(asset.id.slice('badge'.length)) % 4;
        groups.set(group, (groups.get(group) ?? new Set()).add(k));
      }
    }
    expect(groups.size).toBe(4);
    for (const shardsOfGroup of groups.values()) expect(shardsOfGroup.size).toBeGreaterThan(1);

    // The four artifacts into one folder, then merge.
    for (let k = 1; k <= 4; k++) await cp(join(dir, `part-${k}`), join(dir, 'merged'), { recursive: true });
    const merge = await cli(['merge', '--out', 'merged']);
    expect(merge.code, merge.stderr).toBe(0);

    // One runner from fresh caches (a new local folder, a new prefix): the same outputs.
    fake.resetCounts();
    const single = await cli([
      'run',
      ...FILES,
      '--cache',
      `s3://${BUCKET}/single`,
      '--cache-dir',
      'cache-single',
      '--out',
      'single',
      '--json',
    ]);
    expect(single.code, single.stderr).toBe(0);
    expect(fake.counts.create).toBe(DISTINCT_MODEL_TASKS);
    // Local work: the shards together start as many local tasks as one runner (none twice), each a fair part.
    const total = localStarts(single.stdout);
    expect(total).toBe(24 * 4 + 4); // cards: 24 × (an image step, 3 files); badges: 4 distinct encodes
    const local = shards.map((shard) => localStarts(shard.stdout));
    expect(local.reduce((a, b) => a + b, 0)).toBe(total);
    for (const count of local) {
      expect(count / total, JSON.stringify(local)).toBeGreaterThanOrEqual(0.15);
      expect(count / total, JSON.stringify(local)).toBeLessThanOrEqual(0.35);
    }

    const [want, got] = [await outputsOf('single'), await outputsOf('merged')];
    expect(want).toHaveLength(24 * 3 + 12);
    expect(got).toEqual(want);
    for (const output of got) {
      const bytes = await readFile(join(dir, 'merged', output.path));
      expect(bytes.equals(await readFile(join(dir, 'single', output.path)))).toBe(true);
    }
  }, 600_000);
});
