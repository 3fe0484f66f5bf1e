/**
 * `--cache s3://…` and ASSETGEN_CACHE from the CLI: a bad URL, missing credentials, a missing bucket and
 * refused keys each end the run with one clear line and exit 2 before any prediction is created, and no
 * secret is ever printed; a good one fills the shared store.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { type FakeS3, startFakeS3 } from '../fake-s3/server.js';
import { runCli } from '../helpers/cli.js';

const TOKEN = 'test-token-s3-cli';
const SECRET = 'very-secret-value-do-not-print';
const RECIPE = `name: cups
assets:
  - id: red
    subject: a red cup
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ subject }}", megapixels: "0.25" }
outputs:
  - path: "{{ id }}.png"
`;

describe('CLI with an S3 cache', () => {
  let s3: FakeS3;
  let fake: FakeReplicate;
  let dir: string;
  beforeAll(async () => {
    s3 = await startFakeS3({ buckets: ['assetgen-test'], secretAccessKey: SECRET });
    fake = await startFakeReplicate({ token: TOKEN });
    dir = await mkdtemp(join(tmpdir(), 'assetgen-s3-cli-'));
    await writeFile(join(dir, 'cups.yaml'), RECIPE);
  });
  afterAll(async () => {
    await fake.close();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => ({
    REPLICATE_API_TOKEN: TOKEN,
    REPLICATE_API_BASE_URL: fake.baseUrl,
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_REGION: 'auto',
    ...extra,
  });
  const keys = () => ({ AWS_ACCESS_KEY_ID: 'fake-access-key', AWS_SECRET_ACCESS_KEY: SECRET });

  it.each([
    [
      'a bad URL',
      ['--cache', 's3:/assetgen-test'],
      {},
      /--cache: expected s3:\/\/bucket\/prefix but received "s3:\/assetgen-test"/,
    ],
    [
      'a bad bucket name',
      ['--cache', 's3://Bad_Bucket/x'],
      {},
      /expected s3:\/\/bucket\/prefix .* bucket name/,
    ],
    [
      'no credentials',
      [],
      { ASSETGEN_CACHE: 's3://assetgen-test/x' },
      /ASSETGEN_CACHE: no AWS credentials for s3:\/\/assetgen-test\/x: set AWS_ACCESS_KEY_ID/,
    ],
    [
      'half the credentials',
      ['--cache', 's3://assetgen-test/x'],
      { AWS_ACCESS_KEY_ID: 'k' },
      /AWS_SECRET_ACCESS_KEY is not set/,
    ],
    [
      'a missing bucket',
      ['--cache', 's3://no-such-bucket/x'],
      'keys',
      /the cache bucket "no-such-bucket" does not exist at http/,
    ],
    [
      'a refused key',
      ['--cache', 's3://assetgen-test/x'],
      { AWS_ACCESS_KEY_ID: 'wrong', AWS_SECRET_ACCESS_KEY: SECRET },
      /access to the cache s3:\/\/assetgen-test\/x .* was refused \(InvalidAccessKeyId\)/,
    ],
  ] as const)(
    'refuses %s with exit 2 before anything is created, printing no secret',
    async (_what, args, extra, message) => {
      fake.resetCounts();
      const result = await runCli(['run', 'cups.yaml', '--out', 'out', ...args], {
        cwd: dir,
        env: env(extra === 'keys' ? keys() : extra),
      });
      expect(result.code, result.err).toBe(2);
      expect(result.err).toMatch(message);
      expect(`${result.out}\n${result.err}`).not.toContain(SECRET);
      expect(fake.counts.create).toBe(0);
    },
    60_000,
  );

  it('runs with ASSETGEN_CACHE: results land in the bucket under the prefix, and a plan sees them', async () => {
    fake.resetCounts();
    const result = await runCli(['run', 'cups.yaml', '--out', 'out'], {
      cwd: dir,
      env: env({ ...keys(), ASSETGEN_CACHE: 's3://assetgen-test/team/cache' }),
    });
    expect(result.code, result.err).toBe(0);
    expect(fake.counts.create).toBe(1);
    const stored = [...(s3.buckets.get('assetgen-test')?.keys() ?? [])];
    expect(stored.filter((key) => key.startsWith('team/cache/tasks/'))).toHaveLength(2); // model + output
    expect(stored.filter((key) => key.startsWith('team/cache/objects/')).length).toBeGreaterThanOrEqual(2);
    expect(stored.filter((key) => key.startsWith('team/cache/claims/'))).toEqual([]);
    expect(`${result.out}\n${result.err}`).not.toContain(SECRET);
    // Another machine (a fresh local folder) plans it as cached: the probe reads the store.
    const plan = await runCli(
      ['plan', 'cups.yaml', '--cache-dir', 'other-cache', '--cache', 's3://assetgen-test/team/cache'],
      {
        cwd: dir,
        env: env(keys()),
      },
    );
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toMatch(/estimated cost: \$0(\s|$)/);
  }, 60_000);
});
