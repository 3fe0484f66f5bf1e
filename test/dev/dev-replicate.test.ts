/**
 * `assetgen dev --provider replicate` against the fake Replicate (real HTTP on 127.0.0.1, the real SDK):
 * nothing is created before a confirmation (here the terminal's key: `y` runs, `n` skips), and with
 * `--yes --max-cost` the session runs without asking but refuses the change that would take its spend
 * past the cap, before any create.
 */

import { rm, writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { devCommand } from '../../src/cli/commands/dev.js';
import type { CliIO } from '../../src/cli/output.js';
import { type DevSession, startDev } from '../../src/dev/index.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { makeProject, ranSince, recipeText, waitForState, waitUntil } from './helpers.js';

const TOKEN = 'test-token-for-dev-sessions';

/** Stays the same for a while: nothing is created behind the question's back. */
async function staysAt(fake: FakeReplicate, creates: number, ms = 500): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  expect(fake.counts.create).toBe(creates);
}

describe('dev on Replicate', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setUp() {
    const fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 20 } });
    const project = await makeProject();
    cleanup.push(async () => {
      await fake.close();
      await rm(project.dir, { recursive: true, force: true });
    });
    return { fake, project };
  }

  it('asks in the terminal before each change spends: nothing is created until y; n skips', async () => {
    const { fake, project } = await setUp();
    const input = new PassThrough();
    const err: string[] = [];
    const io: CliIO = {
      out: () => {},
      err: (text) => err.push(text),
      isTTY: false,
      env: { REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl },
      cwd: project.dir,
    };
    const stop = new AbortController();
    let session: DevSession | undefined;
    const exit = devCommand(
      ['tiles.yaml'],
      { out: 'output', cacheDir: '.assetgen/cache', port: 0, provider: 'replicate' },
      io,
      {
        input,
        signal: stop.signal,
        onStarted: (started) => {
          session = started;
        },
      },
    );
    cleanup.push(async () => {
      stop.abort();
      await exit;
    });
    const started = await waitUntil(() => session, 'the session');
    await waitForState(started, (s) => s.phase === 'confirm', 'the first question');
    if (session === undefined) throw new Error('no session');
    expect(session.state().pending).toMatchObject({ tasks: 4, estimatedUsd: 0.012 });
    expect(err.join('\n')).toContain('runs 4 tasks on Replicate for about $0.012');
    await staysAt(fake, 0);

    const before = session.state().pageVersion;
    input.write('y\n');
    const state = await waitForState(session, ranSince(before), 'the confirmed run');
    expect(fake.counts.create).toBe(4);
    expect(state.lastRun).toMatchObject({ made: 4, failed: 0 });
    expect(state.spentUsd).toBeCloseTo(0.012, 6);
    const html = await (await fetch(session.pageUrl)).text();
    expect(html).not.toContain(TOKEN);

    await writeFile(`${project.dir}/tiles.yaml`, recipeText({ sunSubject: 'a pale winter sun' }));
    await waitForState(
      session,
      (s) => s.phase === 'confirm' && (s.pending?.tasks ?? 0) === 2,
      'the second question',
    );
    input.write('n\n');
    await waitForState(session, (s) => s.phase === 'idle' && s.pending === null, 'the skip');
    expect(session.state().message).toContain('skipped');
    await staysAt(fake, 4);

    stop.abort();
    expect(await exit).toBe(0);
    expect(err.join('\n')).toContain('this session spent $0.012');
    expect(err.join('\n')).not.toContain(TOKEN);
  });

  it('--yes --max-cost runs without asking and stops before the change that would exceed the cap', async () => {
    const { fake, project } = await setUp();
    const session = await startDev(['tiles.yaml'], {
      cwd: project.dir,
      port: 0,
      debounceMs: 50,
      provider: 'replicate',
      replicate: { token: TOKEN, baseUrl: fake.baseUrl },
      yes: true,
      maxCostUsd: 0.02,
    });
    cleanup.push(() => session.close());
    await waitForState(session, ranSince(1), 'the first run');
    expect(fake.counts.create).toBe(4); // $0.012

    let before = session.state().pageVersion;
    await writeFile(`${project.dir}/tiles.yaml`, recipeText({ sunSubject: 'a pale winter sun' }));
    await waitForState(session, ranSince(before), 'the second run');
    expect(fake.counts.create).toBe(6); // $0.018

    before = session.state().pageVersion;
    await writeFile(`${project.dir}/tiles.yaml`, recipeText({ sunSubject: 'a sun at noon' }));
    const refused = await waitForState(session, (s) => s.phase === 'over-budget', 'the refusal');
    expect(refused.message).toMatch(
      /would cost about \$0\.006 and \$0\.002 of --max-cost \$0\.02 is left \(spent \$0\.018 this session\)/,
    );
    await staysAt(fake, 6);
    expect(session.state().pageVersion).toBe(before);
    expect(session.state().spentUsd).toBeLessThanOrEqual(0.02);
  });
});
