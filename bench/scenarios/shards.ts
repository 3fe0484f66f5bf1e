/**
 * S12 — four shards at once: `bin/assetgen.js run --shard k/4` (compiled dist/) in four child processes,
 * each with its own local cache and output folder, sharing the in-repo S3 fake as cache and the fake
 * Replicate, on recipes where groups of assets share identical model tasks that fall in different
 * shards; then `assetgen merge`. Against one runner on fresh caches in the same bench run: creates vs
 * distinct tasks (S12), and the wall time of the four shards vs the one (S12b). On a 2-core machine the
 * four share the cores: the ratio says what sharding costs or saves there, not on four CI runners.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFakeReplicate } from '../../test/fake-replicate/index.js';
import { startFakeS3 } from '../../test/fake-s3/server.js';
import { distinctMaker } from '../../test/helpers/marked-png.js';
import { type BenchContext, round, type ScenarioRow, seconds } from '../lib/context.js';

const BIN = fileURLToPath(new URL('../../bin/assetgen.js', import.meta.url));
const TOKEN = 'bench-token-shards';
const BUCKET = 'assetgen-bench';
const GROUP = 3;

/** `unique` assets with their own prompt (image step, 3 files each); `shared` in groups of 3 with one prompt. */
function recipes(unique: number, shared: number): Record<string, string> {
  return {
    'cards.yaml': `name: cards
provenance: label
assets:
${Array.from({ length: unique }, (_, i) => `  - id: card${i}\n    thing: a card number ${i}`).join('\n')}
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
`,
    'badges.yaml': `name: badges
provenance: label
assets:
${Array.from({ length: shared }, (_, i) => `  - id: badge${i}\n    group: badge group ${i % (shared / GROUP)}`).join('\n')}
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ group }}", megapixels: "0.25", seed: 3 }
outputs:
  - path: "{{ id }}.png"
`,
  };
}

export async function shards(context: BenchContext): Promise<ScenarioRow[]> {
  const dir = join(context.workDir, 'shards');
  await mkdir(dir, { recursive: true });
  const [unique, shared] = context.options.quick ? [48, 24] : [96, 48];
  const distinct = unique + shared / GROUP;
  const files = recipes(unique, shared);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const s3 = await startFakeS3({ buckets: [BUCKET] });
  const fake = await startFakeReplicate({
    token: TOKEN,
    makeOutputs: distinctMaker,
    behaviour: { runMs: context.options.unitMs, jitterMs: context.options.unitMs / 2, coldStart: 'never' },
  });
  const env = {
    PATH: process.env.PATH ?? '',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    REPLICATE_API_TOKEN: TOKEN,
    REPLICATE_API_BASE_URL: fake.baseUrl,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_REGION: 'auto',
  };
  const cli = (args: readonly string[]) =>
    promisify(execFile)(process.execPath, [BIN, ...args], { cwd: dir, env, maxBuffer: 64 << 20 });
  const timed = async (work: () => Promise<unknown>): Promise<number> => {
    const started = performance.now();
    await work();
    return performance.now() - started;
  };
  const names = Object.keys(files);
  try {
    context.log(`S12: 4 shards at once, ${unique + shared} assets (${distinct} distinct model tasks)`);
    const localStarts: number[] = [];
    const shardMs = await timed(() =>
      Promise.all(
        [1, 2, 3, 4].map(async (k) => {
          const { stdout } = await cli([
            ...['run', ...names, '--shard', `${k}/4`, '--cache', `s3://${BUCKET}/shared`],
            ...['--cache-dir', `cache-${k}`, '--out', `part-${k}`, '--json', '--quiet'],
          ]);
          localStarts[k - 1] = stdout
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line) as { type: string; task?: { model: string } })
            .filter(
              (e) => e.type === 'task-started' && ['image', 'output'].includes(e.task?.model ?? ''),
            ).length;
        }),
      ),
    );
    const shardCreates = fake.counts.create;
    const mergeMs = await timed(async () => {
      for (let k = 1; k <= 4; k++) await cp(join(dir, `part-${k}`), join(dir, 'merged'), { recursive: true });
      await cli(['merge', '--out', 'merged']);
    });
    fake.resetCounts();
    context.log('S12: one runner, fresh caches');
    const singleMs = await timed(() =>
      cli([
        ...['run', ...names, '--cache', `s3://${BUCKET}/single`, '--cache-dir', 'cache-single'],
        '--out',
        'single',
        '--quiet',
      ]),
    );
    const singleCreates = fake.counts.create;
    const totalLocal = localStarts.reduce((a, b) => a + b, 0);
    const split = localStarts.map((n) => `${Math.round((100 * n) / totalLocal)}%`).join('/');
    return [
      {
        id: 'S12',
        title: '4 shards at once on one S3 cache: creates vs distinct tasks',
        value: shardCreates,
        unit: 'creates',
        target: `= ${distinct} distinct`,
        met: shardCreates === distinct,
        summary: `${shardCreates} creates for ${distinct} distinct tasks (${unique + shared} assets; one runner: ${singleCreates}); local tasks ${totalLocal}, split ${split}`,
        details: { assets: unique + shared, distinct, shardCreates, singleCreates, localStarts },
      },
      {
        id: 'S12b',
        title: '… wall time, 4 shard processes vs 1 runner (same machine)',
        value: round(singleMs / shardMs, 2),
        unit: '× (1 runner ÷ 4 shards)',
        target: '—',
        met: null,
        summary: `4 shards ${seconds(shardMs)} (+ merge ${seconds(mergeMs)}) vs 1 runner ${seconds(singleMs)}`,
        details: { shardMs: round(shardMs, 0), mergeMs: round(mergeMs, 0), singleMs: round(singleMs, 0) },
      },
    ];
  } finally {
    await fake.close();
    await s3.close();
  }
}
