/**
 * `assetgen dev --cache s3://…` (and ASSETGEN_CACHE) against the S3 fake (real HTTP on 127.0.0.1, the real
 * SDK): every run of the session writes its results to the bucket through one store opened for the whole
 * session (not once per save) and closed when dev stops, and another session on a fresh local folder restores them from the bucket,
 * making nothing. A `--cache` it cannot use ends dev with exit 2 and run's message before it serves.
 */
import { existsSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevCommandOptions } from '../../src/cli/commands/dev.js';
import { type FakeS3, startFakeS3 } from '../fake-s3/server.js';
import { runCli } from '../helpers/cli.js';
import { fakeS3Env } from '../helpers/s3-cache.js';
import {
  makeProject,
  ranSince,
  recipeText,
  startTilesDevCommand,
  waitForState,
  waitUntil,
} from './helpers.js';

const BUCKET = 'assetgen-test';
const PREFIX = 'team/dev';
const URL = `s3://${BUCKET}/${PREFIX}`;

describe('dev with a shared cache on S3', () => {
  let s3: FakeS3;
  let project: Awaited<ReturnType<typeof makeProject>>;
  beforeAll(async () => {
    s3 = await startFakeS3({ buckets: [BUCKET], keepIdleConnections: true });
    project = await makeProject();
  });
  afterAll(async () => {
    await s3.close();
    await rm(project.dir, { recursive: true, force: true });
  });

  const keys = (under: string) =>
    [...(s3.buckets.get(BUCKET)?.keys() ?? [])].filter((key) => key.startsWith(`${PREFIX}/${under}/`));
  /** The listing that opening the store makes (one key under the prefix): once per opened store. */
  const opens = () =>
    s3.requests.filter(
      (r) =>
        r.method === 'GET' &&
        r.key === '' &&
        r.query.get('max-keys') === '1' &&
        r.query.get('prefix') === `${PREFIX}/`,
    ).length;

  /** `assetgen dev` in-process, offline, until `stop` aborts; `env` on top of the fake's AWS variables. */
  const startDevCommand = (options: Partial<DevCommandOptions>, env: Record<string, string> = {}) =>
    startTilesDevCommand(
      { out: 'output', cacheDir: '.assetgen/cache', port: 0, provider: 'local', ...options },
      { ...fakeS3Env(s3), ...env },
      project.dir,
    );

  it('each run on save goes through one store opened for the session; a fresh folder restores from it', async () => {
    const first = startDevCommand({ cache: URL });
    const session = await first.session();
    const ran = await waitForState(session, ranSince(1), 'the first run');
    expect(ran.lastRun).toMatchObject({ made: 4, cached: 0, failed: 0 });
    const tasksAfterFirst = keys('tasks').length;
    expect(tasksAfterFirst).toBeGreaterThanOrEqual(4 * 3); // per instance: a model, an image step, an output
    expect(keys('objects').length).toBeGreaterThanOrEqual(4);
    expect(keys('claims')).toEqual([]);

    const before = session.state().pageVersion;
    await writeFile(project.recipe, recipeText({ sunSubject: 'a pale winter sun' }));
    const saved = await waitForState(session, ranSince(before), 'the re-run after a save');
    expect(saved.lastRun).toMatchObject({ made: 2, cached: 2, failed: 0 });
    expect(keys('tasks').length).toBeGreaterThan(tasksAfterFirst); // the save's results are in the bucket
    expect(opens()).toBe(1); // two runs, one store
    expect(s3.openConnections()).toBeGreaterThan(0); // kept alive between the session's requests

    first.stop();
    expect(await first.exit).toBe(0);
    expect(first.err.join('\n')).toContain('dev: stopped');
    // Stopping closed the store: the fake never drops an idle connection, only a closing client does.
    await waitUntil(
      () => (s3.openConnections() === 0 ? true : undefined),
      'the store’s connections to close',
    );

    // Another machine: an empty local folder and its own output, the bucket from ASSETGEN_CACHE.
    const objectReads = () =>
      s3.requests.filter((r) => r.method === 'GET' && r.key.startsWith(`${PREFIX}/objects/`)).length;
    const readsBefore = objectReads();
    const second = startDevCommand(
      { cacheDir: '.assetgen/other-cache', out: 'output-b' },
      { ASSETGEN_CACHE: URL },
    );
    const restored = await waitForState(await second.session(), ranSince(1), 'the second session’s run');
    expect(restored.lastRun).toMatchObject({ made: 0, cached: 4, failed: 0 });
    expect(objectReads()).toBeGreaterThan(readsBefore); // fetched from the bucket…
    expect((await readdir(join(project.dir, '.assetgen/other-cache'))).length).toBeGreaterThan(0); // …into the folder
    expect(await readdir(join(project.dir, 'output-b/tiles'))).toHaveLength(4);
    expect(opens()).toBe(2);
    second.stop();
    expect(await second.exit).toBe(0);
    expect(second.err.join('\n')).toMatch(/done: made 0, cached 4, failed 0/);
  }, 120_000);

  it.each([
    ['a malformed --cache', ['--cache', 's3:/assetgen-test'], {}],
    ['a malformed ASSETGEN_CACHE', [], { ASSETGEN_CACHE: 'assetgen-test/x' }],
    ['a missing bucket', ['--cache', 's3://no-such-bucket/x'], {}],
  ] as const)(
    '%s ends dev with exit 2 and run’s message, before serving',
    async (_what, args, env) => {
      const options = { cwd: project.dir, env: { ...fakeS3Env(s3), ...env } };
      const run = await runCli(
        ['run', 'tiles.yaml', '--provider', 'local', '--out', 'never', ...args],
        options,
      );
      expect(run.code).toBe(2);
      const dev = await runCli(['dev', 'tiles.yaml', '--port', '0', '--out', 'never', ...args], options);
      expect(dev.code, dev.err).toBe(2);
      expect(dev.err).toMatch(/cache/);
      expect(dev.err).toBe(run.err);
      expect(dev.out).toBe(''); // no URL: it never served
      expect(dev.err).not.toContain('serving');
      expect(existsSync(join(project.dir, 'never'))).toBe(false);
    },
    60_000,
  );
});
