/**
 * The content-addressed cache (default `.assetgen/cache/`): result files stored once under their sha256
 * (`objects/ab/abcd…`), and one small JSON record per task key (`tasks/ab/abcd….json`) naming the files
 * a task produced and how (prediction id, cost, timings). Records and objects are written atomically, so
 * the folder is safe to share between recipes and runs and to restore in CI.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProducedFile } from '../providers/types.js';
import { writeFileAtomic } from './atomic.js';

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
  files: CachedFile[];
  text?: string;
  /** Output encodes: the encoded image's dimensions and format. */
  image?: { width: number; height: number; format: string };
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
        await mkdir(join(dir, 'objects', shard(file.sha256)), { recursive: true });
        if (await exists(target, file.bytes)) await rm(file.path, { force: true });
        else await rename(file.path, target);
        adopted.push({ sha256: file.sha256, bytes: file.bytes, contentType: file.contentType });
      }
      return adopted;
    },
    async putBytes(data, sha256, contentType) {
      const target = objectPath(sha256);
      if (!(await exists(target, data.byteLength))) await writeFileAtomic(target, data);
      return { sha256, bytes: data.byteLength, contentType };
    },
    async put(record) {
      await writeFileAtomic(recordPath(record.key), `${JSON.stringify(record, null, 2)}\n`);
    },
    async createWorkDir() {
      const work = join(dir, 'tmp', `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
      await mkdir(work, { recursive: true });
      return work;
    },
  };
}
