/**
 * `assetgen dev --provider replicate --cache s3://…` against the fake Replicate and the S3 fake (real HTTP
 * on 127.0.0.1, the real SDKs): what a session pays for lands in the bucket, and a teammate's session on
 * a fresh local folder restores it — no prediction created, nothing asked, nothing spent — and then pays
 * only for its own change. The token stays out of the bucket.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevCommandOptions } from '../../src/cli/commands/dev.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { type FakeS3, startFakeS3 } from '../fake-s3/server.js';
import { fakeS3Env } from '../helpers/s3-cache.js';
import { makeProject, ranSince, recipeText, startTilesDevCommand, waitForState } from './helpers.js';

const TOKEN = 'test-token-for-dev-on-a-shared-cache';
const BUCKET = 'assetgen-test';
const URL = `s3://${BUCKET}/team/dev-replicate`;

describe('dev on Replicate with a shared cache on S3', () => {
  let fake: FakeReplicate;
  let s3: FakeS3;
  let project: Awaited<ReturnType<typeof makeProject>>;
  beforeAll(async () => {
    fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 20 } });
    s3 = await startFakeS3({ buckets: [BUCKET] });
    project = await makeProject();
  });
  afterAll(async () => {
    await fake.close();
    await s3.close();
    await rm(project.dir, { recursive: true, force: true });
  });

  /** `assetgen dev --provider replicate --yes --max-cost 0.05 --cache …` in-process, until `stop`. */
  const startDevCommand = (options: Partial<DevCommandOptions>) =>
    startTilesDevCommand(
      {
        out: 'output',
        cacheDir: '.assetgen/cache',
        port: 0,
        provider: 'replicate',
        yes: true,
        maxCost: 0.05,
        cache: URL,
        ...options,
      },
      { ...fakeS3Env(s3), REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl },
      project.dir,
    );

  it('a second session on a fresh folder restores the paid results from the bucket, creating nothing', async () => {
    const first = startDevCommand({});
    const session = await first.session();
    const ran = await waitForState(session, ranSince(1), 'the first run');
    expect(ran.lastRun).toMatchObject({ made: 4, cached: 0, failed: 0 });
    expect(fake.counts.create).toBe(4);
    expect(ran.spentUsd).toBeCloseTo(0.012, 6);
    first.stop();
    expect(await first.exit).toBe(0);

    const keys = [...(s3.buckets.get(BUCKET)?.keys() ?? [])];
    expect(keys.filter((key) => key.includes('/objects/')).length).toBeGreaterThanOrEqual(4);
    for (const key of keys) {
      const body = s3.buckets.get(BUCKET)?.get(key)?.body;
      expect(body?.includes(Buffer.from(TOKEN))).toBe(false);
    }

    // A teammate: an empty local cache and output folder, the same bucket.
    const second = startDevCommand({ cacheDir: '.assetgen/other-cache', out: 'output-b' });
    const other = await second.session();
    const restored = await waitForState(other, ranSince(1), 'the second session’s run');
    expect(restored.lastRun).toMatchObject({ made: 0, cached: 4, failed: 0 });
    expect(fake.counts.create).toBe(4); // nothing created
    expect(restored.spentUsd).toBe(0);
    expect(await readdir(join(project.dir, 'output-b/tiles'))).toHaveLength(4);

    // Its own change pays for the two tasks it changes, and no more.
    const before = other.state().pageVersion;
    await writeFile(project.recipe, recipeText({ sunSubject: 'a pale winter sun' }));
    const changed = await waitForState(other, ranSince(before), 'the run after a save');
    expect(changed.lastRun).toMatchObject({ made: 2, cached: 2, failed: 0 });
    expect(fake.counts.create).toBe(6);
    second.stop();
    expect(await second.exit).toBe(0);
    expect([...first.err, ...second.err].join('\n')).not.toContain(TOKEN);
  }, 120_000);
});
