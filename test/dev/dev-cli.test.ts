/**
 * `assetgen dev` as a process: it prints its URL on stdout, serves, and Ctrl-C (SIGINT) ends it cleanly —
 * exit 0, the server closed. Its `--help` has examples and exit codes.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeProject } from './helpers.js';

const cliEntry = resolve(import.meta.dirname, '../../src/cli/main.ts');
const tsx = import.meta.resolve('tsx');

describe('assetgen dev (process)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('serves until Ctrl-C, then exits 0 with the server closed', async () => {
    const project = await makeProject();
    dirs.push(project.dir);
    const child = spawn(
      process.execPath,
      [
        '--import',
        tsx,
        '--input-type=module',
        '-e',
        `import { main } from ${JSON.stringify(cliEntry)}; process.exitCode = await main(process.argv.slice(1));`,
        'dev',
        'tiles.yaml',
        '--port',
        '0',
      ],
      {
        cwd: project.dir,
        env: { ...process.env, REPLICATE_API_TOKEN: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const started = Date.now();
    while (!/page: 4 cards/.test(err) && Date.now() - started < 90_000)
      await new Promise((done) => setTimeout(done, 50));
    const url = out.trim().split('\n')[0] ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await fetch(url)).status).toBe(200);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(err).toContain('dev: stopped');
    await expect(fetch(url)).rejects.toThrow();
  }, 120_000);

  it('--help shows examples and exit codes', async () => {
    const help = await runCli(['dev', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('assetgen dev recipes/heroes.yaml --provider replicate --yes --max-cost 0.50');
    expect(help.out).toMatch(/Exit codes:\n\s+0 {2}stopped with Ctrl-C/);
    expect(help.out).toMatch(/--cache <url> +shared cache behind --cache-dir/);
    expect(help.out).toContain('assetgen dev recipes/*.yaml --cache s3://bucket/prefix');
  });
});
