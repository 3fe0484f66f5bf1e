/**
 * How a run ends and how the next one picks up, through the CLI against the fake Replicate (child
 * processes, real signals): a prediction that ended failed, canceled or aborted is never re-attached —
 * the next run makes a new one — `--force` always creates anew, a killed run's predictions are resumed
 * without paying again, and "spent" counts only predictions that exist, saying which this run created
 * and which it resumed. Every create is counted by the fake.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Manifest, ManifestModelStep } from '../../src/manifest/types.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { manifestValidator } from '../helpers/manifest.js';

const TOKEN = 'r8_journal-test-token-000000000000';
const FLUX = 'black-forest-labs/flux-schnell';
const ASSETS = 8;
const cliEntry = resolve(import.meta.dirname, '../../src/cli/main.ts');
const tsx = import.meta.resolve('tsx');

interface Finished {
  code: number | null;
  err: string;
}

describe('runs that end badly, and the next run', () => {
  let fake: FakeReplicate;
  let dir: string;

  beforeAll(async () => {
    fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 20, coldStart: 'never' } });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-journal-'));
    const assets = Array.from({ length: ASSETS }, (_, i) => `  - id: item${i}\n    thing: object ${i}`);
    await writeFile(
      join(dir, 'batch.yaml'),
      `name: batch
assets:
${assets.join('\n')}
steps:
  - id: gen
    model: ${FLUX}
    input: { prompt: "{{ thing }}", megapixels: "0.25" }
outputs:
  - path: "{{ id }}.png"
`,
    );
    fake.setModelBehaviour(FLUX, { runMs: 20 });
    fake.resetCounts();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts `assetgen run batch.yaml` (a short `Prefer: wait`, so ids are journalled while predictions run). */
  const start = (extra: string[] = [], token = TOKEN): { child: ChildProcess; done: Promise<Finished> } => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        tsx,
        '--input-type=module',
        '-e',
        `import { main } from ${JSON.stringify(cliEntry)}; process.exitCode = await main(process.argv.slice(1));`,
        'run',
        'batch.yaml',
        '--concurrency',
        String(ASSETS),
        '--wait',
        '1',
        '--quiet',
        ...extra,
      ],
      {
        cwd: dir,
        env: { ...process.env, REPLICATE_API_TOKEN: token, REPLICATE_API_BASE_URL: fake.baseUrl },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const done = new Promise<Finished>((settle) => child.on('exit', (code) => settle({ code, err })));
    return { child, done };
  };
  const run = (extra: string[] = [], token = TOKEN) => start(extra, token).done;

  const journalPath = () => join(dir, '.assetgen', 'cache', 'journal.jsonl');
  const journal = async (): Promise<Record<string, unknown>[]> => {
    const text = await readFile(journalPath(), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  /** Waits until every asset's prediction id is in the journal: all predictions exist and are running. */
  const allJournalled = async (): Promise<string[]> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ids = (await journal()).filter((e) => e.type === 'created').map((e) => String(e.predictionId));
      if (ids.length >= ASSETS || Date.now() > deadline) return ids;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const manifestSteps = async (): Promise<{ status: string; step: ManifestModelStep }[]> => {
    const manifest = JSON.parse(await readFile(join(dir, 'output', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifestValidator()(manifest)).toEqual([]);
    return (manifest.recipes.batch?.assets ?? []).map((asset) => ({
      status: asset.status,
      step: asset.steps[0] as ManifestModelStep,
    }));
  };
  const everyAssetMade = async (origin: 'created' | 'resumed') => {
    const steps = await manifestSteps();
    expect(steps).toHaveLength(ASSETS);
    for (const { status, step } of steps) {
      expect(status).toBe('ok');
      expect(step.cache_hit).toBe(false);
      expect(step.prediction_origin).toBe(origin);
    }
    return steps.map(({ step }) => String(step.prediction_id));
  };

  /** A paid batch interrupted with Ctrl-C while all its predictions run on the server. */
  const interruptInFlight = async (): Promise<string[]> => {
    fake.setModelBehaviour(FLUX, { runMs: 600_000 });
    const { child, done } = start();
    const ids = await allJournalled();
    expect(ids).toHaveLength(ASSETS);
    child.kill('SIGINT');
    const interrupted = await done;
    expect(interrupted.code, interrupted.err).toBe(130);
    for (const id of ids) expect(fake.predictions.get(id)?.status).toBe('canceled');
    // Official image models bill images: canceled ones made none.
    expect(interrupted.err).toContain(`spent $0 on ${ASSETS} predictions (${ASSETS} created;`);
    fake.setModelBehaviour(FLUX, { runMs: 20 });
    return ids;
  };

  it('Ctrl-C with predictions in flight: the journal says how they ended; the re-run makes every asset anew', async () => {
    const canceled = await interruptInFlight();
    const ended = (await journal()).filter((e) => e.type === 'ended');
    expect(ended.map((e) => [e.v, e.status])).toEqual(canceled.map(() => [1, 'canceled']));
    expect(new Set(ended.map((e) => e.predictionId))).toEqual(new Set(canceled));

    fake.resetCounts();
    const rerun = await run();
    expect(rerun.code, rerun.err).toBe(0);
    expect(fake.counts.create).toBe(ASSETS);
    const made = await everyAssetMade('created');
    expect(made.some((id) => canceled.includes(id))).toBe(false);
    expect(rerun.err).toContain(
      `made ${ASSETS}, cached 0, failed 0, spent $0.024 on ${ASSETS} predictions (${ASSETS} created, ` +
        `${ASSETS} of them in place of an earlier run's that gave no result;`,
    );

    // And once made, nothing more: the journal was emptied of finished tasks.
    fake.resetCounts();
    const again = await run();
    expect(again.code).toBe(0);
    expect(fake.counts.create).toBe(0);
    expect(again.err).toContain('spent $0 (no prediction created;');
    expect(await journal()).toEqual([]);
  }, 120_000);

  it('a journal written before it recorded endings leads to canceled predictions: they are created anew, once', async () => {
    const canceled = await interruptInFlight();
    // What an older assetgen left: no format version, no `ended` lines.
    const old = (await journal())
      .filter((e) => e.type !== 'ended')
      .map(({ v: _v, ...entry }) => `${JSON.stringify(entry)}\n`)
      .join('');
    await writeFile(journalPath(), old);

    fake.resetCounts();
    const rerun = await run();
    expect(rerun.code, rerun.err).toBe(0);
    expect(fake.counts.create).toBe(ASSETS);
    expect(rerun.err).toContain(`prediction ${canceled[0]}, created by an earlier run, had ended canceled`);
    const made = await everyAssetMade('created');
    expect(made.some((id) => canceled.includes(id))).toBe(false);
    // The re-run attached to the canceled ones (and books what they cost: nothing, no image made) before
    // creating new ones: both are counted, apart.
    expect(rerun.err).toContain(
      `spent $0.024 on ${2 * ASSETS} predictions (${ASSETS} created, ${ASSETS} of them in place of an ` +
        `earlier run's that gave no result, ${ASSETS} resumed from an earlier run: $0;`,
    );
  }, 120_000);

  it('kill -9 with predictions in flight: the re-run resumes them without a create and says so', async () => {
    fake.setModelBehaviour(FLUX, { runMs: 2_500 });
    const { child, done } = start();
    const ids = await allJournalled();
    child.kill('SIGKILL');
    expect((await done).code).toBeNull();
    fake.setModelBehaviour(FLUX, { runMs: 20 });

    fake.resetCounts();
    const rerun = await run();
    expect(rerun.code, rerun.err).toBe(0);
    expect(fake.counts.create).toBe(0);
    expect(new Set(await everyAssetMade('resumed'))).toEqual(new Set(ids));
    expect(rerun.err).toContain(
      `spent $0.024 on ${ASSETS} predictions (0 created, ${ASSETS} resumed from an earlier run: $0.024;`,
    );
  }, 120_000);

  it('--force never re-attaches: a killed forced run’s predictions are not taken by the next --force', async () => {
    expect((await run()).code).toBe(0);
    fake.setModelBehaviour(FLUX, { runMs: 2_500 });
    const { child, done } = start(['--force']);
    const killedIds = await allJournalled();
    child.kill('SIGKILL');
    await done;
    fake.setModelBehaviour(FLUX, { runMs: 20 });

    fake.resetCounts();
    const forced = await run(['--force']);
    expect(forced.code, forced.err).toBe(0);
    expect(fake.counts.create).toBe(ASSETS);
    const made = await everyAssetMade('created');
    expect(made.some((id) => killedIds.includes(id))).toBe(false);
  }, 120_000);

  it('a prediction that failed on the server is retried by the next run with a new prediction', async () => {
    let failures = 0;
    fake.setModelBehaviour(FLUX, {
      failure: {
        when: (input) => input.prompt === 'object 3' && failures++ === 0,
        error: 'The input or output was flagged as sensitive. (E005)',
      },
    });
    const first = await run();
    expect(first.code).toBe(1);
    expect(first.err).toMatch(
      /batch\/item3 .*prediction failed: The input or output was flagged as sensitive\. \(E005\)/,
    );
    expect(fake.counts.create).toBe(ASSETS);
    const failedLine = (await journal()).find((e) => e.type === 'ended');
    expect(failedLine).toMatchObject({ v: 1, status: 'failed' });
    // The failed one made no image: billed nothing.
    expect(first.err).toContain(`spent $0.021 on ${ASSETS} predictions (${ASSETS} created;`);

    fake.resetCounts();
    const rerun = await run();
    expect(rerun.code, rerun.err).toBe(0);
    expect(fake.counts.create).toBe(1);
    expect(rerun.err).toContain(
      "made 1, cached 7, failed 0, spent $0.003 on 1 prediction (1 created, 1 of them in place of an earlier run's",
    );
    const steps = await manifestSteps();
    expect(steps.every(({ status }) => status === 'ok')).toBe(true);
    expect(steps[3]?.step.prediction_id).not.toBe(failedLine?.predictionId);
    fake.setModelBehaviour(FLUX, { failure: { always: false } });
  }, 120_000);

  it('a refused create spends nothing, and the recorded 401 text stays readable', async () => {
    const refused = await run([], 'r8_not-the-right-token-1111111111');
    expect(refused.code).toBe(1);
    expect(fake.counts.create).toBe(ASSETS);
    expect(refused.err).toContain(
      'creating the prediction failed: You did not pass a valid authentication token [HTTP 401]',
    );
    expect(refused.err).toContain(`failed ${ASSETS}, spent $0 (no prediction created; estimated $0.024)`);
    expect(refused.err).not.toContain('r8_not-the-right-token');
  }, 60_000);
});
