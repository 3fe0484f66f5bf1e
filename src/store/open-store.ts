/**
 * The cache's remote store from its URL: `s3://bucket/prefix` opens the S3 driver (S3, R2, MinIO); nothing
 * else is a remote store (the local folder is `cacheDir`). Opening checks the store, so a bad URL, missing
 * credentials or a missing bucket is a StoreError before anything runs.
 */
import { StoreError } from '../errors.js';
import { createS3Store, type S3Credentials } from './s3-store.js';
import type { Store } from './store.js';

/** How to reach an `s3://` store; the CLI fills it from the standard AWS_* variables. */
export interface S3ConnectionOptions {
  region?: string;
  /** A custom endpoint (R2, MinIO): addressed path-style. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Default: the SDK's own chain (AWS_PROFILE, web identity, instance role). */
  credentials?: S3Credentials;
}

export async function openRemoteStore(url: string, s3: S3ConnectionOptions = {}): Promise<Store> {
  if (url.startsWith('s3://')) return createS3Store({ url, ...s3 });
  throw new StoreError(
    'STORE_URL',
    `expected s3://bucket/prefix for the cache but received "${url}" (a local cache folder is --cache-dir)`,
    { beforeRun: true },
  );
}

/**
 * Proves before the first paid request that the run can write to the store: a probe object created and
 * removed (a read-only key or a bucket policy that refuses writes fails here, not after a prediction).
 */
export async function probeRemoteWritable(store: Store): Promise<void> {
  const key = `tmp/.assetgen-probe-${process.pid}-${Date.now().toString(36)}`;
  try {
    await store.putIfAbsent(key, 'assetgen write probe\n');
    await store.delete(key);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreError('STORE_NOT_WRITABLE', `cannot write to the cache ${store.location}: ${reason}`, {
      beforeRun: true,
    });
  }
}
