/**
 * `assetgen cache ls | gc | clear`: what the cache folder holds, dropping what nothing refers to, emptying
 * it. Fetched model schemas (`schemas/`) are counted; gc keeps every readable one (locks, which the cache
 * does not know, pin them) and drops only unreadable records and left-over temporary files. The remote
 * store behind the folder is never touched.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { TaskRecord } from './cache.js';

export interface CacheListing {
  dir: string;
  records: { model: number; image: number; output: number };
  objects: number;
  /** Fetched model schema documents (`schemas/…/objects/`). */
  schemas: number;
  bytes: number;
  /** Spend the cached model results represent (what a cold run would pay again). */
  cachedUsd: number;
}

async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}

async function readRecords(dir: string): Promise<TaskRecord[]> {
  const records: TaskRecord[] = [];
  for (const file of await filesUnder(join(dir, 'tasks'))) {
    if (!file.endsWith('.json')) continue;
    try {
      records.push(JSON.parse(await readFile(file, 'utf8')) as TaskRecord);
    } catch {
      // A record that does not parse is garbage; gc removes it.
    }
  }
  return records;
}

/** `schemas/v<format>/objects/<sha256>.json` (schema-store.ts): one fetched document. */
const isSchemaDocument = (schemasDir: string, file: string): boolean =>
  /^v\d+\/objects\/[0-9a-f]{64}\.json$/.test(relative(schemasDir, file).split(sep).join('/'));

export async function listCache(dir: string): Promise<CacheListing> {
  const records = await readRecords(dir);
  const objects = await filesUnder(join(dir, 'objects'));
  const schemas = await filesUnder(join(dir, 'schemas'));
  let bytes = 0;
  for (const file of [...objects, ...(await filesUnder(join(dir, 'tasks'))), ...schemas])
    bytes += (await stat(file)).size;
  const count = (kind: TaskRecord['kind']) => records.filter((record) => record.kind === kind).length;
  return {
    dir,
    records: { model: count('model'), image: count('image'), output: count('output') },
    objects: objects.length,
    schemas: schemas.filter((file) => isSchemaDocument(join(dir, 'schemas'), file)).length,
    bytes,
    cachedUsd: records.reduce((total, record) => total + (record.actualUsd ?? 0), 0),
  };
}

/** Removes objects no record refers to, unreadable task and schema records, and left-over work folders. */
export async function collectGarbage(dir: string): Promise<{ removedFiles: number; freedBytes: number }> {
  const referenced = new Set<string>();
  for (const record of await readRecords(dir)) for (const file of record.files) referenced.add(file.sha256);
  let removedFiles = 0;
  let freedBytes = 0;
  const remove = async (file: string) => {
    freedBytes += (await stat(file)).size;
    removedFiles++;
    await rm(file, { force: true });
  };
  for (const file of await filesUnder(join(dir, 'objects'))) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    if (!referenced.has(name)) await remove(file);
  }
  for (const file of [
    ...(await filesUnder(join(dir, 'tasks'))),
    ...(await filesUnder(join(dir, 'schemas'))),
  ]) {
    try {
      JSON.parse(await readFile(file, 'utf8'));
    } catch {
      await remove(file);
    }
  }
  for (const file of await filesUnder(join(dir, 'tmp'))) await remove(file);
  await rm(join(dir, 'tmp'), { recursive: true, force: true });
  return { removedFiles, freedBytes };
}

export async function clearCache(dir: string): Promise<CacheListing> {
  const before = await listCache(dir);
  await rm(dir, { recursive: true, force: true });
  return before;
}
