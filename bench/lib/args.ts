/**
 * Command-line options of `npm run bench -- [--only 1,3] [--quick] [--unit-ms N] [--out FILE] [--keep]
 * [--scale-dir DIR]`.
 */
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from './context.js';

export const ALL_SCENARIOS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] as const;
const DEFAULT_RESULTS = fileURLToPath(new URL('../results.json', import.meta.url));
export const DEFAULT_UNIT_MS = 200;

export const USAGE = `usage: npm run bench -- [options]
  --only 1,3     run only these scenarios (1-12); S5 at 100,000 assets runs only when picked
  --quick        small workloads (smoke run, about a minute)
  --unit-ms N    real milliseconds per simulated unit of model time (default ${DEFAULT_UNIT_MS})
  --out FILE     where to write the results (default bench/results.json)
  --keep         keep the work folder
  --scale-dir D  where S5 writes its runs (default: /dev/shm when it is a tmpfs, else the work folder)`;

function fail(message: string): never {
  throw new Error(`${message}\n${USAGE}`);
}

export function parseArgs(argv: readonly string[]): BenchOptions | 'help' {
  const options = {
    only: new Set<number>(ALL_SCENARIOS),
    onlyGiven: false,
    quick: false,
    unitMs: DEFAULT_UNIT_MS,
    resultsPath: DEFAULT_RESULTS,
    keep: false,
    scaleDir: undefined as string | undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => argv[++i] ?? fail(`${arg} needs a value`);
    switch (arg) {
      case '--help':
      case '-h':
        return 'help';
      case '--quick':
        options.quick = true;
        break;
      case '--keep':
        options.keep = true;
        break;
      case '--only': {
        const picked = value()
          .split(',')
          .map((s) => Number(s.trim()));
        if (picked.some((n) => !ALL_SCENARIOS.includes(n as (typeof ALL_SCENARIOS)[number]))) {
          fail(`--only expects scenario numbers from 1 to 12, got ${JSON.stringify(argv[i])}`);
        }
        options.only = new Set(picked);
        options.onlyGiven = true;
        break;
      }
      case '--unit-ms': {
        const n = Number(value());
        if (!(n >= 1 && n <= 10_000))
          fail(`--unit-ms expects a number from 1 to 10000, got ${JSON.stringify(argv[i])}`);
        options.unitMs = n;
        break;
      }
      case '--out':
        options.resultsPath = value();
        break;
      case '--scale-dir':
        options.scaleDir = value();
        break;
      default:
        fail(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  return options;
}
