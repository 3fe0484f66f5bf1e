/**
 * What this project's own past runs on Replicate cost, per model and version: the actual costs the lock
 * records (`cost_usd`) and the cache's task records (`actualUsd`, `metrics.predict_time`, the number of
 * files), one sample per task key. Read only for models that have no published or recipe price (and for
 * `price: { per_second }` without `typical_seconds`), so a plan of priced models reads no records.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskRecord } from '../store/cache.js';
import type { LockView } from '../store/lock-tasks.js';
import { isVersionId } from './catalog.js';

/** One past Replicate run of a model. */
export interface PriceSample {
  key: string;
  model: string;
  /** The version that ran (64 hex), else null (official models). */
  version: string | null;
  /** What it cost; null when its price was unknown when it ran. */
  usd: number | null;
  /** `metrics.predict_time` in seconds; null when not recorded. */
  seconds: number | null;
  /** Files it produced (images for image models). */
  outputs: number | null;
}

export interface PriceHistory {
  /**
   * Past runs of `model`: of `version` when it has any, else of every version (`version` then null).
   * The same call gives the same array (the estimates' summaries are kept per array).
   */
  samples(model: string, version?: string): { samples: readonly PriceSample[]; version: string | null };
}

const finite = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;

async function recordFiles(cacheDir: string): Promise<string[]> {
  try {
    const entries = await readdir(join(cacheDir, 'tasks'), { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
      .map((entry) => join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}

async function readRecord(file: string): Promise<TaskRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as TaskRecord;
  } catch {
    return undefined; // unreadable: a miss, as for the runner
  }
}

/** Reads the history of `models` from the lock and the cache (8 records read at a time). */
export async function readPriceHistory(
  cacheDir: string,
  lock: LockView,
  models: ReadonlySet<string>,
): Promise<PriceHistory> {
  const byKey = new Map<string, PriceSample>();
  if (models.size > 0) {
    const files = await recordFiles(cacheDir);
    for (let i = 0; i < files.length; i += 8) {
      const records = await Promise.all(files.slice(i, i + 8).map(readRecord));
      for (const record of records) {
        if (record?.kind !== 'model' || record.provider !== 'replicate') continue;
        if (record.model === undefined || !models.has(record.model)) continue;
        byKey.set(record.key, {
          key: record.key,
          model: record.model,
          version: isVersionId(record.version) ? record.version : null,
          usd: finite(record.actualUsd),
          seconds: finite(record.metrics?.predict_time),
          outputs: Array.isArray(record.files) ? record.files.length : null,
        });
      }
    }
    // The lock is committed: in CI it may be all there is. Its costs fill in what the cache lacks.
    for await (const [, task] of lock.tasks.entries()) {
      if (!models.has(task.model)) continue;
      const known = byKey.get(task.key);
      const usd = finite(task.cost_usd);
      if (known !== undefined) {
        if (known.usd === null && usd !== null) known.usd = usd;
        continue;
      }
      byKey.set(task.key, {
        key: task.key,
        model: task.model,
        version: isVersionId(task.version) ? task.version : null,
        usd,
        seconds: null,
        outputs: task.outputs.length,
      });
    }
  }
  // Grouped once: a plan asks for every step, and a catalogue has thousands of steps and samples.
  const byModel = new Map<string, PriceSample[]>();
  const byVersion = new Map<string, PriceSample[]>();
  for (const sample of byKey.values()) {
    groupInto(byModel, sample.model, sample);
    if (sample.version !== null) groupInto(byVersion, `${sample.model}@${sample.version}`, sample);
  }
  return {
    samples(model, version) {
      const ofVersion = version === undefined ? undefined : byVersion.get(`${model}@${version}`);
      return ofVersion !== undefined
        ? { samples: ofVersion, version: version ?? null }
        : { samples: byModel.get(model) ?? NO_SAMPLES, version: null };
    },
  };
}

const NO_SAMPLES: PriceSample[] = [];

function groupInto(groups: Map<string, PriceSample[]>, key: string, sample: PriceSample): void {
  const group = groups.get(key);
  if (group === undefined) groups.set(key, [sample]);
  else group.push(sample);
}

/** A history that knows no runs (plans that need none). */
export const EMPTY_PRICE_HISTORY: PriceHistory = { samples: () => ({ samples: [], version: null }) };
