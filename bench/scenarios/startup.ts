/**
 * S6 — start-up: `node bin/assetgen.js --help` and `validate` on one example recipe, each run in a fresh
 * child process several times (median wall time), next to bare `node` for reference. Uses dist/, which
 * `npm run bench` builds first.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BenchContext, round, type ScenarioRow } from '../lib/context.js';
import { median } from '../lib/stats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = 'bin/assetgen.js';
const RECIPE = 'recipes/product-shots.yaml';

async function timeRuns(args: readonly string[], runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await promisify(execFile)(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } });
    times.push(performance.now() - started);
  }
  return times;
}

export async function startup(context: BenchContext): Promise<ScenarioRow[]> {
  if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error('dist/ is missing: run `npm run build` first');
  const runs = context.sizes.starts;
  context.log(`S6: start-up, ${runs} runs each`);
  await timeRuns([BIN, '--help'], 1); // warm the file cache
  const bare = median(await timeRuns(['-e', ''], runs));
  const help = await timeRuns([BIN, '--help'], runs);
  const validate = await timeRuns([BIN, 'validate', RECIPE], runs);
  const spread = (times: number[]) => `${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms`;
  return [
    {
      id: 'S6',
      title: 'Start-up: assetgen --help (median)',
      value: round(median(help), 0),
      unit: 'ms',
      target: '< 300 ms',
      met: median(help) < 300,
      summary: `range ${spread(help)}; bare node ${bare.toFixed(0)} ms; ${runs} runs`,
      details: { helpMs: help.map((ms) => round(ms, 1)), bareNodeMs: round(bare, 1) },
    },
    {
      id: 'S6b',
      title: `Start-up: assetgen validate ${RECIPE} (median)`,
      value: round(median(validate), 0),
      unit: 'ms',
      target: '',
      met: null,
      summary: `range ${spread(validate)}; ${runs} runs`,
      details: { validateMs: validate.map((ms) => round(ms, 1)) },
    },
  ];
}
