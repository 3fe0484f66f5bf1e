/**
 * The content-addressed cache (default `.assetgen/cache/`): result files stored once under their sha256
 * (`objects/ab/abcd…`), and one small JSON record per task key (`tasks/ab/abcd….json`) naming the files
 * a task produced and how (prediction id, cost, timings). Records and objects are written atomically, so
 * the folder is safe to share between recipes and runs and to restore in CI. They are not forced to disk
 * (no fsync): after a power cut an entry may be missing or empty, which reads as a miss, never as a
 * wrong result (the size of every object is checked).
 *
 * With a remote store (S3 …) the folder is a layer in front of it: a look-up reads the folder first; a
 * record found only in the store is fetched with its objects (each checked by size and hash) into the
 * folder, so nothing already on disk is downloaded again. A record is written to the folder, then its
 * objects (those the store lacks) and the record to the store — objects first, so a record in the store
 * always has its objects there.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PixelStats } from '../image/index.js';
import type { ProducedFile } from '../providers/types.js';
import { writeFileAtomic } from './atomic.js';
import { createFsStore } from './fs-store.js';
import { sha256 } from './hash.js';
import { type Store, storeKeys } from './store.js';
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
  /**
   * Model tasks with picture gates: what the gates measured of each file, in `files` order (measure
   * version `v`, image/pixel-stats.ts), so a cached result is checked again without decoding it.
   */
  pixels?: { v: number; files: PixelStats[] };
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
  /** The shared store behind the folder, when there is one. */
  readonly remote?: Store;
}

export interface CacheOptions {
  /** A shared store (S3 …) behind the folder. */
  remote?: Store;
}

const shard = (hex: string): string => hex.slice(0, 2);

/** A record's text, or undefined when it is missing or unreadable (a miss). */
function parseRecord(text: string | undefined): TaskRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as TaskRecord;
    return Array.isArray(record?.files) ? record : undefined;
  } catch {
    return undefined;
  }
}

export function createCache(dir: string, options: CacheOptions = {}): Cache {
  const { remote } = options;
  const local = createFsStore(dir);
  const objectPath = (sha: string): string => local.pathOf(storeKeys.object(sha));
  const recordPath = (key: string): string => local.pathOf(storeKeys.record(key));

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

  const recordText = (record: TaskRecord): string => `${JSON.stringify(record, null, 2)}\n`;
  const writeRecord = (record: TaskRecord): Promise<void> =>
    inDir(join(dir, 'tasks', shard(record.key)), () =>
      writeFileAtomic(recordPath(record.key), recordText(record), {
        ...cacheWrite,
        doing: 'write the cache record',
      }),
    );

  // Objects this cache has fetched or found in the remote store: each once per run.
  const fetching = new Map<string, Promise<boolean>>();
  const uploaded = new Map<string, Promise<void>>();
  /** Brings a remote object into the folder (checked by size and hash); false when the store lacks it. */
  const fetchObject = (file: CachedFile): Promise<boolean> => {
    let fetched = fetching.get(file.sha256);
    if (fetched === undefined) {
      fetched = (async () => {
        const target = objectPath(file.sha256);
        if (await exists(target, file.bytes)) return true;
        const got = await remote?.get(storeKeys.object(file.sha256));
        if (got === undefined || got.body.length !== file.bytes || sha256(got.body) !== file.sha256)
          return false;
        await inDir(join(dir, 'objects', shard(file.sha256)), () =>
          writeFileAtomic(target, got.body, { ...cacheWrite, doing: 'store the result in the cache' }),
        );
        return true;
      })();
      fetching.set(file.sha256, fetched);
      fetched.then(
        (found) => found || fetching.delete(file.sha256),
        () => fetching.delete(file.sha256),
      );
    }
    return fetched;
  };
  /** Puts a local object into the remote store unless it is there already. */
  const uploadObject = (file: CachedFile): Promise<void> => {
    let upload = uploaded.get(file.sha256);
    if (upload === undefined) {
      upload = (async () => {
        const key = storeKeys.object(file.sha256);
        if ((await remote?.head(key))?.size === file.bytes) return;
        await remote?.put(key, await readFile(objectPath(file.sha256)));
      })();
      uploaded.set(file.sha256, upload);
      upload.catch(() => uploaded.delete(file.sha256));
    }
    return upload;
  };

  return {
    dir,
    ...(remote === undefined ? {} : { remote }),
    objectPath,
    async get(key) {
      const stored = parseRecord(await readFile(recordPath(key), 'utf8').catch(() => undefined));
      let missing = false;
      for (const file of stored?.files ?? []) {
        if (!(await exists(objectPath(file.sha256), file.bytes))) missing = true;
      }
      if (stored !== undefined && !missing) return stored;
      if (remote === undefined) return undefined;
      const record = stored ?? parseRecord((await remote.get(storeKeys.record(key)))?.body.toString('utf8'));
      if (record === undefined) return undefined;
      for (const file of record.files) {
        if (!(await fetchObject(file))) return undefined;
      }
      if (stored === undefined) await writeRecord(record);
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
      await writeRecord(record);
      if (remote === undefined) return;
      for (const file of record.files) await uploadObject(file);
      await remote.put(storeKeys.record(record.key), recordText(record));
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
