/**
 * Pre-flight through the CLI against the fake Replicate: everything that would fail after paying is
 * refused before the first request — exit 2, zero creates (zero requests at all) — with one clear line
 * per problem: places that cannot be written, symbolic links out of the output folder, bad files a recipe
 * names, non-UTF-8 recipes, too many instances, bad option values.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tinyMaker } from '../fake-replicate/helpers.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { runCli } from '../helpers/cli.js';

const TOKEN = 'r8_preflight-test-token-000000000';
const RECIPE = `name: shots
output: shots
assets:
  - id: mug
  - id: lamp
steps:
  - id: gen
    model: black-forest-labs/flux-schnell
    input: { prompt: "a {{ id }}", megapixels: "0.25" }
  - id: mark
    image:
      - composite: { image: mark.png, gravity: southeast }
outputs:
  - path: "{{ id }}.png"
`;

describe('pre-flight: nothing is created when the run could not finish', () => {
  let fake: FakeReplicate;
  let dir: string;
  let env: Record<string, string>;
  const run = (args: string[]) => runCli(args, { cwd: dir, env });

  beforeAll(async () => {
    fake = await startFakeReplicate({ token: TOKEN, makeOutputs: tinyMaker });
    env = { REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl };
  });
  afterAll(() => fake.close());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-preflight-'));
    await writeFile(join(dir, 'shots.yaml'), RECIPE);
    await writeFile(
      join(dir, 'mark.png'),
      await sharp({ create: { width: 8, height: 8, channels: 4, background: '#fff8' } })
        .png()
        .toBuffer(),
    );
    await writeFile(join(dir, 'a-file'), 'not a folder\n');
    fake.resetCounts();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const refusedBeforeAnyRequest = (result: { code: number; err: string }) => {
    expect(result.code, result.err).toBe(2);
    expect(fake.counts.create).toBe(0);
    expect(fake.counts.total).toBe(0);
    expect(result.err).not.toContain('this is a bug');
  };

  it('an output folder that cannot be made (a file in the way)', async () => {
    const result = await run(['run', 'shots.yaml', '--out', 'a-file/out']);
    refusedBeforeAnyRequest(result);
    expect(result.err.split('\n')).toEqual([
      `error: cannot write the output folder ${dir}/a-file/out: a file stands where a folder is needed (ENOTDIR); move ${dir}/a-file away, or choose another folder with --out`,
      'nothing was run: the run could not write there.',
    ]);
  });

  it('a cache folder that cannot be written', async () => {
    const result = await run(['run', 'shots.yaml', '--cache-dir', 'a-file/cache']);
    refusedBeforeAnyRequest(result);
    expect(result.err).toContain(
      `error: cannot write the cache folder ${dir}/a-file/cache: a file stands where a folder is needed (ENOTDIR); move ${dir}/a-file away, or choose another folder with --cache-dir`,
    );
  });

  it('a lock file whose folder cannot be written (before: paid for every task, then "this is a bug")', async () => {
    const result = await run(['run', 'shots.yaml', '--lock', 'a-file/assetgen.lock']);
    refusedBeforeAnyRequest(result);
    expect(result.err).toContain(
      `error: cannot write the lock file ${dir}/a-file/assetgen.lock: a file stands where a folder is needed (ENOTDIR); move ${dir}/a-file away, or choose another folder with --lock`,
    );
  });

  it('a lock path that is a folder', async () => {
    await mkdir(join(dir, 'assetgen.lock'));
    const result = await run(['run', 'shots.yaml']);
    refusedBeforeAnyRequest(result);
    expect(result.err).toContain(
      `error: cannot write the lock file ${dir}/assetgen.lock: a folder stands where the file should be (EISDIR); remove or rename that folder, or choose another folder with --lock`,
    );
  });

  it('a planned output folder that is a symbolic link out of the output folder (was: written outside, exit 0)', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'assetgen-elsewhere-'));
    await mkdir(join(dir, 'output'));
    await symlink(elsewhere, join(dir, 'output', 'shots'));
    const result = await run(['run', 'shots.yaml']);
    refusedBeforeAnyRequest(result);
    expect(result.err).toContain(
      `error: refused to write into ${dir}/output/shots: it leads through a symbolic link to ${elsewhere}, outside the output folder ${dir}/output; remove the link, or choose the folder you mean with --out`,
    );
    expect(await readdir(elsewhere)).toEqual([]);
    await rm(elsewhere, { recursive: true, force: true });
  });

  it('a link inside the output folder that stays inside it is fine', async () => {
    await mkdir(join(dir, 'output', 'v2'), { recursive: true });
    await symlink(join(dir, 'output', 'v2'), join(dir, 'output', 'shots'));
    const result = await run(['run', 'shots.yaml', '--quiet']);
    expect(result.code, result.err).toBe(0);
    expect((await readdir(join(dir, 'output', 'v2'))).sort()).toEqual(['lamp.png', 'mug.png']);
  });

  it('a corrupt overlay: validate, plan and run refuse it at its recipe line', async () => {
    await writeFile(join(dir, 'mark.png'), Buffer.from('\x89PNG\r\n\x1a\nbroken'));
    const line = `shots.yaml:12:29  steps[1].image[0].composite.image: file "mark.png" cannot be read as an image`;
    for (const command of ['validate', 'plan', 'run']) {
      const result = await run([command, 'shots.yaml']);
      refusedBeforeAnyRequest(result);
      expect(result.err).toContain(line);
      expect(result.err).toContain('1 problem found; nothing was run.');
    }
  });

  it('an overlay outside the recipe folder needs --allow-root', async () => {
    await mkdir(join(dir, 'recipes'));
    await writeFile(join(dir, 'recipes', 'shots.yaml'), RECIPE.replace('mark.png', '../mark.png'));
    const refused = await run(['run', 'recipes/shots.yaml']);
    refusedBeforeAnyRequest(refused);
    expect(refused.err).toContain(`file "../mark.png" is outside the recipe's folder (${dir}/recipes)`);
    const allowed = await run(['run', 'recipes/shots.yaml', '--allow-root', '.', '--quiet']);
    expect(allowed.code, allowed.err).toBe(0);
    expect(fake.counts.create).toBe(2);
  });

  it('a recipe that is not UTF-8', async () => {
    await writeFile(
      join(dir, 'shots.yaml'),
      Buffer.from(RECIPE.replace('a {{ id }}', 'un café {{ id }}'), 'latin1'),
    );
    const result = await run(['run', 'shots.yaml']);
    refusedBeforeAnyRequest(result);
    expect(result.err).toContain(
      'shots.yaml:9:29  (recipe): not UTF-8 text: byte 0xE9 cannot start a character here',
    );
  });

  it('too many instances, refused before expanding, and --max-instances', async () => {
    const many = RECIPE.replace(
      'steps:',
      `variants:\n  seed: [${Array.from({ length: 200 }, (_, i) => i).join(', ')}]\n  tone: [${Array.from({ length: 100 }, (_, i) => i).join(', ')}]\nsteps:`,
    ).replace('"{{ id }}.png"', '"{{ id }}-{{ seed }}-{{ tone }}.png"');
    await writeFile(join(dir, 'shots.yaml'), many);
    const result = await run(['run', 'shots.yaml']);
    refusedBeforeAnyRequest(result);
    expect(result.err).toContain(
      'shots.yaml:6:1  variants: the recipe makes 40,000 asset × variant instances (2 assets × 200 seed × 100 tone), more than the limit of 10,000',
    );
    const lower = await run(['validate', 'shots.yaml', '--max-instances', '100']);
    expect(lower.err).toContain('more than the limit of 100 (raise --max-instances to 40000)');
  });

  it('--base-url must be an http(s) URL and --webhook-port a port: usage errors', async () => {
    for (const [args, message] of [
      [
        ['--base-url', 'api.replicate.com/v1'],
        'expected an http(s) URL such as https://api.replicate.com/v1 but received "api.replicate.com/v1"',
      ],
      [
        ['--base-url', 'ftp://example.com'],
        'expected an http(s) URL but received "ftp://example.com" (ftp: URL)',
      ],
      [['--webhook-port', '65536'], 'expected a port from 0 to 65535 but received "65536"'],
      [['--webhook-port', '80.5'], 'expected a port from 0 to 65535 but received "80.5"'],
      [['--webhook-url', 'hooks.example.com'], 'expected an http(s) URL such as'],
    ] as const) {
      const result = await run(['run', 'shots.yaml', ...args]);
      refusedBeforeAnyRequest(result);
      expect(result.err).toContain(message);
    }
  });
});

/** Tests may run as root, where permission bits do not stop writes: then the CLI runs as `nobody`. */
describe('pre-flight: permission denied (EACCES)', () => {
  it.skipIf(process.getuid?.() === 0)('an output folder without write permission', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'assetgen-preflight-ro-'));
    try {
      await writeFile(join(dir, 'shots.yaml'), RECIPE.replace(/ {2}- id: mark\n.*\n.*\n/, ''));
      await mkdir(join(dir, 'output'));
      await chmod(join(dir, 'output'), 0o555);
      const result = await runCli(['run', 'shots.yaml'], { cwd: dir, env: {} });
      expect(result.code).toBe(2);
      expect(result.err).toContain(
        `error: cannot write the output folder ${dir}/output: permission denied (EACCES); make ${dir}/output writable (chmod u+w), or choose another folder with --out`,
      );
    } finally {
      await chmod(join(dir, 'output'), 0o755);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
