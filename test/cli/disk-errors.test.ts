/**
 * A run that loses the ability to write its outputs part-way stops starting paid work: the output folder
 * is broken while the second prediction runs, and the fake Replicate server counts the creates. The
 * failure is one line (path, what was being written, the reason, a hint), never a raw errno message.
 *
 * Tests may run as root, where permission bits do not stop writes: the EACCES cases then run the CLI in a
 * child process as `nobody`; the other case breaks the folder in a way that stops root too (a file put
 * where the folder was).
 */
import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/manifest/types.js';
import { tinyMaker } from '../fake-replicate/helpers.js';
import { type FakeReplicate, type MakeOutputs, startFakeReplicate } from '../fake-replicate/index.js';
import { runCli } from '../helpers/cli.js';

const TOKEN = 'r8_disk-errors-test-token-0000000';
const ASSETS = 10;
const cliEntry = resolve(import.meta.dirname, '../../src/cli/main.ts');
const tsx = import.meta.resolve('tsx');
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

const recipe = `name: batch
output: t
assets:
${Array.from({ length: ASSETS }, (_, i) => `  - id: item${i}`).join('\n')}
steps:
  - id: gen
    model: black-forest-labs/flux-schnell
    input: { prompt: "picture of {{ id }}", megapixels: "0.25" }
outputs:
  - path: "{{ id }}.png"
`;

/** The CLI in a child process (as `nobody` when the tests run as root, so that permissions apply). */
function runChild(args: string[], cwd: string, env: Record<string, string>) {
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
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    },
  );
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  child.stdout.resume();
  return new Promise<{ code: number | null; err: string }>((done) =>
    child.on('exit', (code) => done({ code, err: err.trimEnd() })),
  );
}

/** Waits until the first asset's file is in `folder` (assets start in priority order, not by name). */
async function firstFileIn(folder: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const names = await readdir(folder).catch(() => []);
    if (names.some((name) => name.endsWith('.png'))) return;
    if (Date.now() > until) throw new Error(`no file appeared in ${folder}`);
    await new Promise((wake) => setTimeout(wake, 20));
  }
}

describe('the output folder becomes unwritable mid-run', () => {
  let fake: FakeReplicate;
  let dir: string;
  let env: Record<string, string>;
  /** Runs when the second prediction starts (after the first asset's file was written). */
  let onSecond: () => Promise<void> = async () => {};
  let predictions = 0;
  const maker: MakeOutputs = async (request) => {
    predictions += 1;
    if (predictions === 2) await onSecond();
    return tinyMaker(request);
  };

  beforeAll(async () => {
    fake = await startFakeReplicate({ token: TOKEN, makeOutputs: maker, behaviour: { runMs: 600 } });
    env = { REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl };
  });
  afterAll(() => fake.close());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-disk-'));
    await writeFile(join(dir, 'batch.yaml'), recipe);
    predictions = 0;
    fake.resetCounts();
  });
  afterEach(async () => {
    await chmod(join(dir, 'out', 't'), 0o755).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  const expectStopped = async (err: string, reason: RegExp) => {
    // Creates: the first two, and at most the one that started while the second's file was written.
    expect(fake.counts.create, err).toBeGreaterThanOrEqual(2);
    expect(fake.counts.create, err).toBeLessThanOrEqual(3);
    const stopped = err.split('\n').filter((line) => line.startsWith('error: stopped: '));
    expect(stopped, err).toHaveLength(1);
    expect(stopped[0]).toMatch(reason);
    // Every mention of the system error is inside one of those one-line messages, never a raw errno text.
    expect(err).not.toMatch(/(ENOTDIR|EACCES): (not a directory|permission denied), /);
    expect(err).not.toContain('this is a bug');
    const manifest = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8')) as Manifest;
    const assets = manifest.recipes.batch?.assets ?? [];
    expect(assets.filter((asset) => asset.status === 'ok')).toHaveLength(1);
    const notStarted = assets.filter((asset) => asset.status === 'skipped');
    expect(notStarted.length).toBe(ASSETS - fake.counts.create);
    for (const asset of notStarted) expect(asset.error).toMatch(/^not started: cannot write /);
    expect(err).toContain(`, skipped ${notStarted.length} (not started),`);
  };

  it('a file put where the folder was (stops root too): at most one more create, then none', async () => {
    onSecond = async () => {
      await firstFileIn(join(dir, 'out', 't'));
      await rm(join(dir, 'out', 't'), { recursive: true, force: true });
      await writeFile(join(dir, 'out', 't'), 'in the way\n');
    };
    const result = await runCli(['run', 'batch.yaml', '--out', 'out', '-c', '1', '--quiet'], {
      cwd: dir,
      env,
    });
    expect(result.code, result.err).toBe(1);
    await expectStopped(
      result.err,
      new RegExp(
        `^error: stopped: cannot write the output file ${dir}/out/t/item\\d\\.png: a file stands where a folder is needed \\(ENOTDIR\\); move ${dir}/out/t away, or choose another folder with --out$`,
      ),
    );
  });

  it('permission taken away (chmod 555, EACCES): at most one more create, then none', async () => {
    if (asRoot) await chown(dir, NOBODY, NOBODY);
    onSecond = async () => {
      await firstFileIn(join(dir, 'out', 't'));
      await chmod(join(dir, 'out', 't'), 0o555);
    };
    const result = await runChild(['run', 'batch.yaml', '--out', 'out', '-c', '1'], dir, env);
    expect(result.code, result.err).toBe(1);
    await expectStopped(
      result.err,
      new RegExp(
        `^error: stopped: cannot write the output file ${dir}/out/t/item\\d\\.png: permission denied \\(EACCES\\); make ${dir}/out/t writable \\(chmod u\\+w\\), or choose another folder with --out$`,
      ),
    );
  });

  it('an output folder without write permission before the run: exit 2, no request at all', async () => {
    if (asRoot) await chown(dir, NOBODY, NOBODY);
    const out = join(dir, 'out');
    await mkdir(out);
    if (asRoot) await chown(out, NOBODY, NOBODY);
    await chmod(out, 0o555);
    const result = await runChild(['run', 'batch.yaml', '--out', 'out'], dir, env);
    expect(result.code, result.err).toBe(2);
    expect(fake.counts.total).toBe(0);
    expect(result.err.split('\n')).toEqual([
      `error: cannot write the output folder ${out}: permission denied (EACCES); make ${out} writable (chmod u+w), or choose another folder with --out`,
      'nothing was run: the run could not write there.',
    ]);
    await chmod(out, 0o755);
  });
});
