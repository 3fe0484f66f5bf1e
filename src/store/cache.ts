/**
 * The content-addressed cache (default `.assetgen/cache/`): result files stored once under their sha256
 * (`objects/ab/abcd…`), and one small JSON record per task key (`tasks/ab/abcd….json`) naming the files
 * a task produced and how (prediction id, cost, timings). Records and objects are written atomically, so
 * the folder is safe to share between recipes and runs and to restore in CI. They are not forced to disk
 * (no fsync): after a power cut an entry may be missing or empty, which reads as a miss, never as a
 * wrong result (the size of every object is checked).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProducedFile } from '../providers/types.js';
import { writeFileAtomic } from './atomic.js';
import { describingFailure } from './write-errors.js';

export interface CachedFile {
  sha256: string;
  bytes: number;
  contentType: string;
}

export interface TaskRecord {
  key: string;
  kind: 'model' | 'image' | 'output';
  created: string;
  provider?: string;
  model?: string;
  version?: string;
  predictionId?: string;
  actualUsd?: number | null;
  durationMs: number;
  /** Model tasks on Replicate: what the prediction reported (seconds it ran, images it billed). */
  metrics?: { predict_time?: number; image_count?: number };
  files: CachedFile[];
  text?: string;
  /**
   * Output encodes: the encoded image's dimensions and format, and its web placeholders (ThumbHash and
   * LQIP, image/placeholder.ts; absent in records written before assetgen made them).
   */
  image?: { width: number; height: number; format: string; thumbhash?: string; lqip?: string };
}

export interface Cache {
  readonly dir: string;
  objectPath(sha256: string): string;
  /** A record whose files are all present, or undefined. */
  get(key: string): Promise<TaskRecord | undefined>;
  /** Moves produced files into the object store (they must live on the cache's file system). */
  adopt(files: readonly ProducedFile[]): Promise<CachedFile[]>;
  /** Stores bytes as an object. */
  putBytes(data: Uint8Array, sha256: string, contentType: string): Promise<CachedFile>;
  put(record: TaskRecord): Promise<void>;
  /** A fresh, empty folder on the cache's file system for a task to write into. */
  createWorkDir(): Promise<string>;
}

const shard = (hex: string): string => hex.slice(0, 2);

export function createCache(dir: string): Cache {
  const objectPath = (sha256: string): string => join(dir, 'objects', shard(sha256), sha256);
  const recordPath = (key: string): string => join(dir, 'tasks', shard(key), `${key}.json`);

  // Folders this cache already made: each shard and the work root once, not once per file. Should one
  // vanish meanwhile (the cache cleared by another process), the write makes it again and retries.
  const made = new Map<string, Promise<unknown>>();
  const inDir = async <T>(folder: string, write: () => Promise<T>): Promise<T> => {
    let making = made.get(folder);
    if (making === undefined) {
      making = describingFailure({ path: folder, doing: 'create the cache folder', place: 'cache' }, () =>
        mkdir(folder, { recursive: true }),
      );
      made.set(folder, making);
      making.catch(() => made.delete(folder));
    }
    await making;
    try {
      return await write();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(folder, { recursive: true });
      return write();
    }
  };
  const cacheWrite = { dirExists: true, durable: false, place: 'cache' } as const;

  const exists = async (path: string, bytes: number): Promise<boolean> => {
    try {
      return (await stat(path)).size === bytes;
    } catch {
      return false;
    }
  };

  return {
    dir,
    objectPath,
    async get(key) {
      let record: TaskRecord;
      try {
        record = JSON.parse(await readFile(recordPath(key), 'utf8')) as TaskRecord;
      } catch {
        return undefined;
      }
      for (const file of record.files) {
        if (!(await exists(objectPath(file.sha256), file.bytes))) return undefined;
      }
      return record;
    },
    async adopt(files) {
      const adopted: CachedFile[] = [];
      for (const file of files) {
        const target = objectPath(file.sha256);
        if (await exists(target, file.bytes)) await rm(file.path, { force: true });
        else
          await inDir(join(dir, 'objects', shard(file.sha256)), () =>
            describingFailure({ path: target, doing: 'store the result in the cache', place: 'cache' }, () =>
              rename(file.path, target),
            ),
          );
        adopted.push({ sha256: file.sha256, bytes: file.bytes, contentType: file.contentType });
      }
      return adopted;
    },
    async putBytes(data, sha256, contentType) {
      const target = objectPath(sha256);
      if (await exists(target, data.byteLength)) return { sha256, bytes: data.byteLength, contentType };
      await inDir(join(dir, 'objects', shard(sha256)), () =>
        writeFileAtomic(target, data, { ...cacheWrite, doing: 'store the result in the cache' }),
      );
      return { sha256, bytes: data.byteLength, contentType };
    },
    async put(record) {
      const text = `${JSON.stringify(record, null, 2)}\n`;
      await inDir(join(dir, 'tasks', shard(record.key)), () =>
        writeFileAtomic(recordPath(record.key), text, { ...cacheWrite, doing: 'write the cache record' }),
      );
    },
    async createWorkDir() {
      const root = join(dir, 'tmp');
      const work = join(root, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
      await inDir(root, () =>
        describingFailure({ path: work, doing: 'create a work folder', place: 'cache' }, () => mkdir(work)),
      );
      return work;
    },
  };
}
