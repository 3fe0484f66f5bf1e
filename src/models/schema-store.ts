/**
 * Fetched model schemas in the cache, so that a model seen once validates offline. Three kinds of record,
 * each under the same key in the cache folder and in the remote store (when there is one):
 *
 * - `schemas/v1/objects/<sha256>.json` — one Cog `openapi_schema` document, named by the sha256 of its
 *   canonical JSON (the hash the lock pins), checked on every read;
 * - `schemas/v1/versions/<version id>.json` — which document a community version has (versions never
 *   change, so this never needs the network again);
 * - `schemas/v1/models/<owner>__<name>.json` — what the model looked like when last fetched (official or
 *   not, latest version, document), for an offline look before anything is pinned.
 *
 * Every record carries `format` (SCHEMA_FORMAT); a record of another format, or one that does not parse
 * or match its hash, reads as missing (it is fetched again). The folder is written atomically, not forced
 * to disk (a lost record is fetched again, like a cache entry) — the layout older assetgens wrote, read
 * as it is.
 *
 * With a remote store (S3 …) the folder is a layer in front of it, as for task records: a read tries the
 * folder first, then the store, and copies what the store had (checked the same way) into the folder.
 * Documents and version records never change, so they go to the store with `putIfAbsent`; a model's
 * last-fetch record is replaced (`put`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { canonicalJson, sha256 } from '../store/hash.js';
import type { Store } from '../store/store.js';

export const SCHEMA_FORMAT = 1;

type Json = Record<string, unknown>;

/** What the store knows of a model from its last fetch. */
export interface SeenModel {
  model: string;
  official: boolean;
  /** The latest version id (community), null for official models. */
  version: string | null;
  /** sha256 of the latest version's document. */
  schema: string;
  fetchedAt: string;
}

export interface SchemaStore {
  readonly dir: string;
  /** Stores a document; returns its hash. */
  put(doc: Json): Promise<string>;
  get(hash: string): Promise<Json | undefined>;
  putVersion(model: string, version: string, hash: string): Promise<void>;
  version(version: string): Promise<string | undefined>;
  putSeen(seen: SeenModel): Promise<void>;
  seen(model: string): Promise<SeenModel | undefined>;
}

export interface SchemaStoreOptions {
  /** A shared store (S3 …) behind the cache folder. */
  remote?: Store | undefined;
}

/** The hash a document is stored and pinned under. */
export function schemaHash(doc: Json): string {
  return sha256(canonicalJson(doc));
}

/** The store key (and, below the cache folder, the path) of a schema record. */
export const schemaKeys = {
  prefix: `schemas/v${SCHEMA_FORMAT}/`,
  object: (hash: string): string => `schemas/v${SCHEMA_FORMAT}/objects/${hash}.json`,
  version: (version: string): string => `schemas/v${SCHEMA_FORMAT}/versions/${version}.json`,
  model: (model: string): string => `schemas/v${SCHEMA_FORMAT}/models/${model.replace('/', '__')}.json`,
} as const;

/** A record's text, or undefined when it is missing, unreadable or of another format. */
function parseRecord(text: string | undefined): Json | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const record = parsed as Json;
    return record.format === SCHEMA_FORMAT ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The document of an object record, when it matches its hash. */
function documentOf(record: Json, hash: string): Json | undefined {
  const doc = record.openapi_schema;
  if (typeof doc !== 'object' || doc === null) return undefined;
  return schemaHash(doc as Json) === hash ? (doc as Json) : undefined;
}

const hasSchema = (record: Json): boolean => typeof record.schema === 'string';

export function createSchemaStore(cacheDir: string, options: SchemaStoreOptions = {}): SchemaStore {
  const { remote } = options;
  const pathOf = (key: string): string => join(cacheDir, ...key.split('/'));
  const writeLocal = (key: string, text: string) =>
    writeFileAtomic(pathOf(key), text, {
      durable: false,
      doing: 'write a model schema into the cache',
      place: 'cache',
    });

  /** The folder's record, else the store's (copied into the folder); `usable` decides what counts. */
  const read = async (key: string, usable: (record: Json) => boolean): Promise<Json | undefined> => {
    const here = parseRecord(await readFile(pathOf(key), 'utf8').catch(() => undefined));
    if (here !== undefined && usable(here)) return here;
    if (remote === undefined) return undefined;
    const text = (await remote.get(key))?.body.toString('utf8');
    const there = parseRecord(text);
    if (text === undefined || there === undefined || !usable(there)) return undefined;
    await writeLocal(key, text);
    return there;
  };
  /** Into the folder, then the store: created there only when absent, unless `replace`. */
  const write = async (key: string, record: Json, replace = false): Promise<void> => {
    const text = `${JSON.stringify({ format: SCHEMA_FORMAT, ...record })}\n`;
    await writeLocal(key, text);
    if (remote === undefined) return;
    if (replace) await remote.put(key, text);
    else await remote.putIfAbsent(key, text);
  };

  return {
    dir: join(cacheDir, 'schemas', `v${SCHEMA_FORMAT}`),
    async put(doc) {
      const hash = schemaHash(doc);
      const key = schemaKeys.object(hash);
      const here = parseRecord(await readFile(pathOf(key), 'utf8').catch(() => undefined));
      if (here === undefined || documentOf(here, hash) === undefined)
        await write(key, { sha256: hash, openapi_schema: doc });
      else await remote?.putIfAbsent(key, `${JSON.stringify(here)}\n`);
      return hash;
    },
    async get(hash) {
      if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
      const record = await read(schemaKeys.object(hash), (found) => documentOf(found, hash) !== undefined);
      return record === undefined ? undefined : documentOf(record, hash);
    },
    putVersion: (model, version, hash) =>
      write(schemaKeys.version(version), { model, version, schema: hash }),
    async version(version) {
      if (!/^[0-9a-f]{64}$/i.test(version)) return undefined;
      const record = await read(schemaKeys.version(version), hasSchema);
      return typeof record?.schema === 'string' ? record.schema : undefined;
    },
    putSeen: (seen) =>
      write(
        schemaKeys.model(seen.model),
        {
          model: seen.model,
          official: seen.official,
          version: seen.version,
          schema: seen.schema,
          fetched_at: seen.fetchedAt,
        },
        true,
      ),
    async seen(model) {
      const record = await read(schemaKeys.model(model), hasSchema);
      if (record === undefined || typeof record.schema !== 'string') return undefined;
      return {
        model,
        official: record.official === true,
        version: typeof record.version === 'string' ? record.version : null,
        schema: record.schema,
        fetchedAt: typeof record.fetched_at === 'string' ? record.fetched_at : '',
      };
    },
  };
}
