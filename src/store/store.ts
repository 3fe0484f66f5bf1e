/**
 * The store contract: what the cache (objects, task records, fetched model schemas) and the task claims are
 * kept in. A store holds byte objects under `/`-separated keys (`objects/ab/abcd…`, `tasks/ab/abcd….json`,
 * `claims/abcd….json`; `schemas/v1/…` from models/schema-store.ts).
 * Drivers are factories returning plain objects: `fs-store.ts` (a folder, the cache's on-disk layout) and
 * `s3-store.ts` (S3, R2, MinIO). One contract suite (test/store/contract.ts) runs against every driver.
 *
 * Every version of an object has an `etag`, an opaque string that changes whenever the object is written;
 * `put` with `ifMatch` replaces only that version and `putIfAbsent` creates only when nothing is there —
 * the two conditional writes that claims are built on (of two racing writers exactly one wins).
 */

import { InternalError } from '../errors.js';

export interface StoredObject {
  body: Buffer;
  etag: string;
  /** When this version was written (the store's clock; S3 to the second). */
  modifiedMs: number;
}

export interface ObjectInfo {
  size: number;
  etag: string;
}

export interface PutOptions {
  /** Replace only this version (from `get`/`head`): false when the object changed or is gone. */
  ifMatch?: string;
}

export interface Store {
  /** Where the store is, for messages (a folder or `s3://bucket/prefix`; never credentials). */
  readonly location: string;
  /** The object and its version, or undefined when there is none. */
  get(key: string): Promise<StoredObject | undefined>;
  /** Size and version without the body, or undefined when there is none. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Writes the object whole (readers see the old or the new one); with `ifMatch` conditionally. */
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<boolean>;
  /** Creates the object only if nothing is there; false when something is. */
  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean>;
  /** The keys that start with `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<string>;
  /** Removes the object (nothing happens when there is none). */
  delete(key: string): Promise<void>;
  /** Lets go of connections (drivers that hold some). */
  close?(): Promise<void>;
}

/** The store key of a cached object, a task record and a claim (the cache folder's layout). */
export const storeKeys = {
  object: (sha256: string): string => `objects/${sha256.slice(0, 2)}/${sha256}`,
  record: (key: string): string => `tasks/${key.slice(0, 2)}/${key}.json`,
  claim: (key: string): string => `claims/${key}.json`,
  claims: 'claims/',
} as const;

/** Refuses keys that could leave the store's root (`..`, absolute, empty parts). */
export function checkStoreKey(key: string): string[] {
  const parts = key.split('/');
  if (
    key === '' ||
    parts.some((part) => part === '' || part === '.' || part === '..' || part.includes('\\'))
  ) {
    throw new InternalError(`bad store key ${JSON.stringify(key)}`);
  }
  return parts;
}
