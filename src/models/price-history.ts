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
  /** Past runs of `model`: of `version` when it has any, else of every version (`version` then null). */
  samples(model: string, version?: string): { samples: PriceSample[]; version: string | null };
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
  const all = [...byKey.values()];
  return {
    samples(model, version) {
      const ofModel = all.filter((sample) => sample.model === model);
      const ofVersion = version === undefined ? [] : ofModel.filter((sample) => sample.version === version);
      return ofVersion.length > 0
        ? { samples: ofVersion, version: version ?? null }
        : { samples: ofModel, version: null };
    },
  };
}

/** A history that knows no runs (plans that need none). */
export const EMPTY_PRICE_HISTORY: PriceHistory = { samples: () => ({ samples: [], version: null }) };
