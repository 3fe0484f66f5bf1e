/**
 * `validate`, `update` and `models add` with the shared S3 cache (`--cache` / ASSETGEN_CACHE): `models add`
 * on one machine puts the schema in the bucket; on a fresh machine with only the lock and no token,
 * `validate` checks the step's input against that schema from the bucket (a wrong input refused at its
 * line) and asks Replicate nothing; `update` puts the moved pins' schemas in the bucket. A bad cache ends
 * each of them with one line and exit 2, as for `run`.
 */
// assetgen pins the SDK release: its notice about later releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updatePins, validateRecipes } from '../../src/index.js';
import { schemaKeys } from '../../src/models/schema-store.js';
import { tinyMaker } from '../fake-replicate/helpers.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { buildOpenApiSchema } from '../fake-replicate/openapi.js';
import { type FakeS3, startFakeS3 } from '../fake-s3/server.js';
import { runCli } from '../helpers/cli.js';
import { fakeS3Connection, fakeS3Env } from '../helpers/s3-cache.js';

const TOKEN = 'r8_s3-schema-commands-token';
const SECRET = 'schema-commands-secret-never-printed';
const BUCKET = 'assetgen-test';
const FORGE = 'acme/pixel-forge';
const FILES = { type: 'array', items: { type: 'string', format: 'uri' } };
const input = (extra: Record<string, unknown> = {}, drop: string[] = []) => {
  const properties: Record<string, unknown> = {
    prompt: { type: 'string', 'x-order': 0 },
    style: { type: 'string', enum: ['flat', 'neon'], default: 'flat', 'x-order': 1 },
    seed: { type: 'integer', 'x-order': 2 },
    ...extra,
  };
  for (const key of drop) delete properties[key];
  return { type: 'object', required: ['prompt'], properties };
};
const recipe = (stepInput: string) => `name: forge
assets:
  - id: red
steps:
  - id: art
    model: ${FORGE}
    input: ${stepInput}
outputs:
  - path: "{{ id }}.png"
`;

/** Every file below `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('validate, update and models add with an S3 cache', () => {
  let s3: FakeS3;
  let fake: FakeReplicate;
  let dir: string;
  let machines = 0;
  const cache = `s3://${BUCKET}/team`;
  beforeAll(async () => {
    s3 = await startFakeS3({ buckets: [BUCKET], secretAccessKey: SECRET });
    fake = await startFakeReplicate({
      token: TOKEN,
      makeOutputs: tinyMaker,
      extraModels: [{ ref: FORGE, versions: [{ openapiSchema: buildOpenApiSchema(input(), FILES) }] }],
    });
    dir = await mkdtemp(join(tmpdir(), 'assetgen-s3-schema-commands-'));
  });
  afterAll(async () => {
    await fake.close();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A fresh machine: its own folder with the recipe, an empty local cache and, given one, the lock. */
  const machine = async (stepInput: string, lockFrom?: string): Promise<string> => {
    const cwd = join(dir, `machine-${++machines}`);
    await mkdir(cwd, { recursive: true });
    await writeFile(join(cwd, 'forge.yaml'), recipe(stepInput));
    if (lockFrom !== undefined) await copyFile(join(lockFrom, 'assetgen.lock'), join(cwd, 'assetgen.lock'));
    return cwd;
  };
  const bucketKeys = () => [...(s3.buckets.get(BUCKET)?.keys() ?? [])].sort();
  const lockOf = async (cwd: string) => JSON.parse(await readFile(join(cwd, 'assetgen.lock'), 'utf8'));
  /** The CLI's environment: the S3 fake's AWS_* variables; Replicate's token only when asked for. */
  const env = (extra: Record<string, string> = {}) => ({ ...fakeS3Env(s3), ...extra });
  const withToken = () => ({ REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl });
  let first = '';

  it('models add puts the schema in the bucket, and validate on a fresh machine with no token checks against it', async () => {
    first = await machine('{ prompt: "a {{ id }} tile" }');
    const added = await runCli(['models', 'add', FORGE, '--cache', cache], {
      cwd: first,
      env: env(withToken()),
    });
    expect(added.code, added.err).toBe(0);
    expect(added.out).toContain(`schemas in ${join(first, '.assetgen/cache')} and ${cache}`);
    const pin = (await lockOf(first)).models[FORGE];
    expect(pin.version).toBe(fake.models.get(FORGE)?.latest.id);
    expect(bucketKeys()).toEqual(
      [
        `team/${schemaKeys.object(pin.schema)}`,
        `team/${schemaKeys.version(pin.version)}`,
        `team/${schemaKeys.model(FORGE)}`,
      ].sort(),
    );

    // Machine 2: the lock, a wrong input, no token: refused at its line from the bucket's schema.
    const second = await machine('{ prompt: "a {{ id }} tile", style: neon-glow }', first);
    const inBucket = bucketKeys();
    fake.resetCounts();
    const bad = await runCli(['validate', 'forge.yaml'], {
      cwd: second,
      env: env({ ASSETGEN_CACHE: cache }),
    });
    expect(bad.code, bad.err).toBe(2);
    expect(bad.err).toMatch(
      /forge\.yaml:7:48 .*steps\[0\]\.input\.style.*expected one of "flat", "neon" .* but received "neon-glow"/,
    );
    expect(fake.counts.total).toBe(0);
    // validate wrote nothing but the schema records it read, and nothing to the bucket.
    expect(await filesUnder(second)).toEqual(
      [`.assetgen/cache/schemas/v1/objects/${pin.schema}.json`, 'assetgen.lock', 'forge.yaml'].sort(),
    );
    expect(bucketKeys()).toEqual(inBucket);
    expect(`${bad.out}\n${bad.err}`).not.toContain(SECRET);

    // The right input passes with --cache; without the shared cache nothing could check it.
    await writeFile(join(second, 'forge.yaml'), recipe('{ prompt: "a {{ id }} tile", style: neon }'));
    const good = await runCli(['validate', 'forge.yaml', '--cache', cache], { cwd: second, env: env() });
    expect(good.code, good.err).toBe(0);
    const third = await machine('{ prompt: "a {{ id }} tile", style: neon-glow }', first);
    const unchecked = await runCli(['validate', 'forge.yaml'], { cwd: third, env: env() });
    expect(unchecked.code, unchecked.err).toBe(0);
    expect(fake.counts.total).toBe(0);
  }, 60_000);

  it('update puts the moved pin’s schema in the bucket: a fresh machine validates against the new one', async () => {
    const newer = fake.models.addVersion(FORGE, {
      openapiSchema: buildOpenApiSchema(input({ steps: { type: 'integer', 'x-order': 3 } }, ['seed']), FILES),
    });
    const updater = await machine('{ prompt: "a {{ id }} tile" }', first);
    const report = await updatePins(['forge.yaml'], {
      cwd: updater,
      cache,
      s3: fakeS3Connection(s3),
      replicate: { token: TOKEN, baseUrl: fake.baseUrl },
    });
    expect(report.changed).toBe(1);
    const pin = (await lockOf(updater)).models[FORGE];
    expect(pin.version).toBe(newer.id);
    const keys = bucketKeys();
    expect(keys).toContain(`team/${schemaKeys.object(pin.schema)}`);
    expect(keys).toContain(`team/${schemaKeys.version(newer.id)}`);

    // Another fresh machine with the updated lock and no token: "seed" is gone from the schema now.
    const checker = await machine('{ prompt: "x", seed: 3 }', updater);
    fake.resetCounts();
    const result = await validateRecipes(['forge.yaml'], {
      cwd: checker,
      cache,
      s3: fakeS3Connection(s3),
    });
    expect(result.problems.map((p) => `${p.location.line} ${p.message}`)).toEqual([
      expect.stringMatching(/^7 unknown input "seed"/),
    ]);
    expect(fake.counts.total).toBe(0);
  }, 60_000);

  it.each([
    ['validate', ['validate', 'forge.yaml']],
    ['update', ['update', 'forge.yaml']],
    ['models add', ['models', 'add', FORGE]],
  ] as const)(
    '%s refuses a missing bucket with exit 2, asking Replicate nothing',
    async (_name, args) => {
      const cwd = await machine('{ prompt: "a {{ id }} tile" }', first);
      fake.resetCounts();
      const result = await runCli([...args, '--cache', 's3://no-such-bucket/x'], {
        cwd,
        env: env(withToken()),
      });
      expect(result.code, result.err).toBe(2);
      expect(result.err).toMatch(/the cache bucket "no-such-bucket" does not exist at http/);
      expect(`${result.out}\n${result.err}`).not.toContain(SECRET);
      expect(fake.counts.total).toBe(0);
      expect(await filesUnder(cwd)).toEqual(['assetgen.lock', 'forge.yaml']);
    },
    60_000,
  );

  it.each([
    ['validate', ['validate', 'forge.yaml']],
    ['update', ['update', 'forge.yaml']],
    ['models add', ['models', 'add', FORGE]],
  ] as const)('%s reads ASSETGEN_CACHE: no credentials is one line and exit 2', async (_name, args) => {
    const cwd = await machine('{ prompt: "a {{ id }} tile" }', first);
    const result = await runCli([...args], { cwd, env: { ...withToken(), ASSETGEN_CACHE: cache } });
    expect(result.code, result.err).toBe(2);
    expect(result.err).toMatch(/ASSETGEN_CACHE: no AWS credentials for s3:\/\/assetgen-test\/team/);
  });
});
