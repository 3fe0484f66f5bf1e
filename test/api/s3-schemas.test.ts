/**
 * Model schemas in a shared S3 cache: the first runner fetches a model's schema from Replicate once and
 * stores it in the bucket; a second runner on a fresh machine (an empty local folder, the same S3 cache)
 * reads it from there and asks Replicate's model and version endpoints nothing — for a model pinned by
 * the lock (a `--frozen` run too) and for one named at a version.
 */
// assetgen pins the SDK release: its notice about later releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecipes } from '../../src/index.js';
import { tinyMaker } from '../fake-replicate/helpers.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { buildOpenApiSchema } from '../fake-replicate/openapi.js';
import { type FakeS3, startFakeS3 } from '../fake-s3/server.js';
import { fakeS3Connection } from '../helpers/s3-cache.js';

const TOKEN = 'r8_s3-schemas-test-token';
const BUCKET = 'assetgen-test';
const FORGE = 'acme/pixel-forge';
const INPUT = {
  type: 'object',
  required: ['prompt'],
  properties: { prompt: { type: 'string', 'x-order': 0 }, seed: { type: 'integer', 'x-order': 1 } },
};
const FILES = { type: 'array', items: { type: 'string', format: 'uri' } };
const recipe = (model: string) => `name: forge
assets:
  - id: red
steps:
  - id: art
    model: ${model}
    input: { prompt: "a {{ id }} tile" }
outputs:
  - path: "{{ id }}.png"
`;

describe('model schemas in an S3 cache', () => {
  let s3: FakeS3;
  let fake: FakeReplicate;
  let dir: string;
  let machines = 0;
  beforeAll(async () => {
    s3 = await startFakeS3({ buckets: [BUCKET] });
    fake = await startFakeReplicate({
      token: TOKEN,
      behaviour: { runMs: 5 },
      makeOutputs: tinyMaker,
      extraModels: [{ ref: FORGE, versions: [{ openapiSchema: buildOpenApiSchema(INPUT, FILES) }] }],
    });
    dir = await mkdtemp(join(tmpdir(), 'assetgen-s3-schemas-'));
  });
  afterAll(async () => {
    await fake.close();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Requests to Replicate's model, version and collection endpoints since the last reset. */
  const schemaRequests = () =>
    fake.counts.modelGet +
    fake.counts.versionGet +
    fake.counts.versionsList +
    fake.counts.collectionGet +
    fake.counts.collectionList;
  /** A runner "machine": its own folder with the recipe (and an empty local cache). */
  const machine = async (model: string): Promise<string> => {
    const cwd = join(dir, `machine-${++machines}`);
    await mkdir(cwd, { recursive: true });
    await writeFile(join(cwd, 'forge.yaml'), recipe(model));
    return cwd;
  };
  const run = (cwd: string, cache: string) =>
    runRecipes(['forge.yaml'], {
      cwd,
      out: 'out',
      cache,
      s3: fakeS3Connection(s3),
      replicate: { token: TOKEN, baseUrl: fake.baseUrl },
    });
  const schemaKeys = (prefix: string) =>
    [...(s3.buckets.get(BUCKET)?.keys() ?? [])].filter((key) => key.startsWith(`${prefix}/schemas/v1/`));

  it('a model pinned by the lock: fetched once by the first runner, read from S3 by the second', async () => {
    const cache = `s3://${BUCKET}/pinned`;
    const first = await machine(FORGE);
    fake.resetCounts();
    const one = await run(first, cache);
    expect(one.status).toBe('ok');
    expect(fake.counts.modelGet).toBe(1);
    expect(fake.counts.create).toBe(1);
    const stored = schemaKeys('pinned');
    expect(stored.filter((key) => key.includes('/objects/'))).toHaveLength(1);
    expect(stored.filter((key) => key.includes('/versions/'))).toHaveLength(1);
    expect(stored).toContain('pinned/schemas/v1/models/acme__pixel-forge.json');

    // Another machine with the committed lock and nothing in its local folder.
    const second = await machine(FORGE);
    await copyFile(join(first, 'assetgen.lock'), join(second, 'assetgen.lock'));
    fake.resetCounts();
    const two = await run(second, cache);
    expect(two.status).toBe('ok');
    expect(schemaRequests()).toBe(0);
    expect(fake.counts.create).toBe(0); // the result came from S3 too
    // The document is now in its local folder: a third run there reads it without S3's schema keys.
    expect(await readdir(join(second, '.assetgen/cache/schemas/v1/objects'))).toHaveLength(1);
    const before = s3.requests.length;
    expect((await run(second, cache)).status).toBe('ok');
    expect(s3.requests.slice(before).filter((r) => r.key.includes('/schemas/'))).toEqual([]);

    // CI with --frozen on yet another fresh machine: schemas and results from S3, Replicate never asked.
    const third = await machine(FORGE);
    await copyFile(join(first, 'assetgen.lock'), join(third, 'assetgen.lock'));
    fake.resetCounts();
    const frozen = await runRecipes(['forge.yaml'], {
      cwd: third,
      out: 'out',
      cache,
      s3: fakeS3Connection(s3),
      replicate: { token: TOKEN, baseUrl: fake.baseUrl },
      frozen: true,
    });
    expect(frozen.status, JSON.stringify(frozen.problems)).toBe('ok');
    expect(fake.counts.total).toBe(0);
  }, 60_000);

  it('a model named at a version: the second runner on a fresh machine makes no schema request', async () => {
    const cache = `s3://${BUCKET}/versioned`;
    const version = fake.models.get(FORGE)?.latest.id ?? '';
    const ref = `${FORGE}:${version}`;
    fake.resetCounts();
    expect((await run(await machine(ref), cache)).status).toBe('ok');
    expect(fake.counts.versionGet).toBe(1);
    expect(schemaRequests()).toBe(1);
    fake.resetCounts();
    expect((await run(await machine(ref), cache)).status).toBe('ok');
    expect(schemaRequests()).toBe(0);
    expect(fake.counts.create).toBe(0);
  }, 60_000);

  it('a tampered document in S3 is not believed: fetched from Replicate again', async () => {
    const cache = `s3://${BUCKET}/tampered`;
    const version = fake.models.get(FORGE)?.latest.id ?? '';
    const ref = `${FORGE}:${version}`;
    expect((await run(await machine(ref), cache)).status).toBe('ok');
    const [objectKey] = schemaKeys('tampered').filter((key) => key.includes('/objects/'));
    const doc =
      s3.buckets
        .get(BUCKET)
        ?.get(objectKey ?? '')
        ?.body.toString('utf8') ?? '';
    s3.putObject(BUCKET, objectKey ?? '', doc.replace('"prompt"', '"promptx"'));
    fake.resetCounts();
    expect((await run(await machine(ref), cache)).status).toBe('ok');
    expect(fake.counts.versionGet).toBe(1);
  }, 60_000);
});
