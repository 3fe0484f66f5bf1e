/**
 * Fetched model schemas in the cache folder, so that a model seen once validates offline:
 *
 * - `<cache>/schemas/v1/objects/<sha256>.json` — one Cog `openapi_schema` document, named by the sha256 of
 *   its canonical JSON (the hash the lock pins), checked on every read;
 * - `<cache>/schemas/v1/versions/<version id>.json` — which document a community version has (versions
 *   never change, so this never needs the network again);
 * - `<cache>/schemas/v1/models/<owner>__<name>.json` — what the model looked like when last fetched
 *   (official or not, latest version, document), for an offline look before anything is pinned.
 *
 * Every record carries `format` (1); a record of another format, or one that does not parse or match its
 * hash, reads as missing (it is fetched again). Written atomically, not forced to disk (a lost record is
 * fetched again, like a cache entry).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { canonicalJson, sha256 } from '../store/hash.js';

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

/** The hash a document is stored and pinned under. */
export function schemaHash(doc: Json): string {
  return sha256(canonicalJson(doc));
}

async function readRecord(path: string): Promise<Json | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const record = parsed as Json;
    return record.format === SCHEMA_FORMAT ? record : undefined;
  } catch {
    return undefined;
  }
}

const fileName = (model: string): string => `${model.replace('/', '__')}.json`;

export function createSchemaStore(cacheDir: string): SchemaStore {
  const dir = join(cacheDir, 'schemas', `v${SCHEMA_FORMAT}`);
  const write = (path: string, record: Json) =>
    writeFileAtomic(path, `${JSON.stringify({ format: SCHEMA_FORMAT, ...record })}\n`, {
      durable: false,
      doing: 'write a model schema into the cache',
      place: 'cache',
    });
  return {
    dir,
    async put(doc) {
      const hash = schemaHash(doc);
      const path = join(dir, 'objects', `${hash}.json`);
      if ((await readRecord(path)) === undefined) await write(path, { sha256: hash, openapi_schema: doc });
      return hash;
    },
    async get(hash) {
      if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
      const record = await readRecord(join(dir, 'objects', `${hash}.json`));
      const doc = record?.openapi_schema;
      if (typeof doc !== 'object' || doc === null) return undefined;
      return schemaHash(doc as Json) === hash ? (doc as Json) : undefined;
    },
    putVersion: (model, version, hash) =>
      write(join(dir, 'versions', `${version}.json`), { model, version, schema: hash }),
    async version(version) {
      if (!/^[0-9a-f]{64}$/i.test(version)) return undefined;
      const record = await readRecord(join(dir, 'versions', `${version}.json`));
      return typeof record?.schema === 'string' ? record.schema : undefined;
    },
    putSeen: (seen) =>
      write(join(dir, 'models', fileName(seen.model)), {
        model: seen.model,
        official: seen.official,
        version: seen.version,
        schema: seen.schema,
        fetched_at: seen.fetchedAt,
      }),
    async seen(model) {
      const record = await readRecord(join(dir, 'models', fileName(model)));
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
