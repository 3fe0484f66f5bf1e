/**
 * The `cache` option (a URL or an opened store) → the shared store behind the cache folder, for every
 * entry point that takes it (validate, plan, run, check, update, models add, dev). A URL is opened here, which
 * checks it (a bad URL, missing credentials or a missing bucket is a StoreError before anything runs), and
 * only a store opened here is closed here: one the caller passed stays the caller's.
 */
import { openRemoteStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import type { CacheOptions } from './options.js';

export async function openSharedCache(options: CacheOptions): Promise<Store | undefined> {
  return typeof options.cache === 'string' ? await openRemoteStore(options.cache, options.s3) : options.cache;
}

/** Closes `remote` when `openSharedCache` opened it from a URL. */
export async function closeSharedCache(options: CacheOptions, remote: Store | undefined): Promise<void> {
  if (typeof options.cache === 'string') await remote?.close?.();
}

/** `use` with the shared store open (undefined without one), closed afterwards however `use` ends. */
export async function withSharedCache<T>(
  options: CacheOptions,
  use: (remote: Store | undefined) => Promise<T>,
): Promise<T> {
  const remote = await openSharedCache(options);
  try {
    return await use(remote);
  } finally {
    await closeSharedCache(options, remote);
  }
}
