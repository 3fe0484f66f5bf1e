/**
 * The S3 store driver (AWS S3, Cloudflare R2, MinIO and other S3-compatible storage), over
 * `@aws-sdk/client-s3`, which is imported only when such a store is opened (an optional dependency).
 * Keys live under the URL's prefix (`s3://bucket/team/cache` → `team/cache/objects/ab/abcd…`). A custom
 * endpoint (R2, MinIO) is addressed path-style. Conditional writes are S3's: `If-None-Match: *` for
 * `putIfAbsent`, `If-Match: <etag>` for a replace (412 → false).
 *
 * Opening the store lists one key under the prefix, so that a bad bucket, missing or refused credentials or
 * an unreachable endpoint is one clear StoreError before anything runs. Credentials are handed to the SDK
 * and never appear in a message.
 */
import { StoreError } from '../errors.js';
import { checkStoreKey, type Store } from './store.js';

type S3Sdk = typeof import('@aws-sdk/client-s3');
type ListReply = import('@aws-sdk/client-s3').ListObjectsV2CommandOutput;

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3StoreOptions {
  /** `s3://bucket[/prefix]`. */
  url: string;
  /** Default `us-east-1` (R2 takes `auto`). */
  region?: string;
  /** A custom endpoint (R2, MinIO …): addressed path-style. */
  endpoint?: string;
  /** Default: path-style when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Default: the SDK's own chain (profile, web identity, instance role). */
  credentials?: S3Credentials;
}

export interface S3Location {
  bucket: string;
  /** Without leading or trailing slashes; empty for the bucket's root. */
  prefix: string;
}

/** Reads `s3://bucket[/prefix]`; throws StoreError (before anything runs) for anything else. */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/?#]+)(\/[^?#]*)?$/.exec(url);
  const bucket = match?.[1] ?? '';
  if (match === null || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new StoreError(
      'STORE_URL',
      `expected s3://bucket/prefix for the cache but received "${url}" (a bucket name is 3-63 lower-case letters, digits, dots and hyphens)`,
      { beforeRun: true },
    );
  }
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((part) => part === '.' || part === '..')) {
    throw new StoreError('STORE_URL', `the cache prefix in "${url}" may not hold "." or ".." parts`, {
      beforeRun: true,
    });
  }
  return { bucket, prefix };
}

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

const statusOf = (error: unknown): number | undefined => (error as SdkError)?.$metadata?.httpStatusCode;
const nameOf = (error: unknown): string => (error as SdkError)?.name ?? (error as SdkError)?.code ?? 'Error';

async function loadSdk(): Promise<S3Sdk> {
  try {
    return await import('@aws-sdk/client-s3');
  } catch (error) {
    throw new StoreError(
      'STORE_SDK_MISSING',
      'an s3:// cache needs the optional package @aws-sdk/client-s3: install it with `npm install @aws-sdk/client-s3@3.1175.0`',
      { beforeRun: true, cause: error },
    );
  }
}

/** Why the store cannot be opened, in one line (never with credentials). */
function openFailure(error: unknown, location: string, options: S3StoreOptions, bucket: string): StoreError {
  const name = nameOf(error);
  const status = statusOf(error);
  const where = options.endpoint === undefined ? '' : ` at ${options.endpoint}`;
  const fail = (code: string, message: string) => new StoreError(code, message, { beforeRun: true });
  if (name === 'CredentialsProviderError' || /credential/i.test(name)) {
    return fail(
      'STORE_NO_CREDENTIALS',
      `no AWS credentials for the cache ${location}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)`,
    );
  }
  if (name === 'NoSuchBucket' || (status === 404 && name !== 'NoSuchKey')) {
    return fail('STORE_NO_BUCKET', `the cache bucket "${bucket}" does not exist${where}: create it first`);
  }
  if (status === 403 || /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|Forbidden/.test(name)) {
    return fail(
      'STORE_ACCESS_DENIED',
      `access to the cache ${location}${where} was refused (${name}): check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's permissions`,
    );
  }
  const reason = (error as NodeJS.ErrnoException)?.code ?? name;
  return fail('STORE_UNREACHABLE', `cannot reach the cache ${location}${where} (${reason})`);
}

export async function createS3Store(options: S3StoreOptions): Promise<Store> {
  const { bucket, prefix } = parseS3Url(options.url);
  const location = `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}`;
  const sdk = await loadSdk();
  const client = new sdk.S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    // Only the checksums S3 requires: several S3-compatible stores refuse the newer default ones.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const full = (key: string): string => {
    checkStoreKey(key);
    return prefix === '' ? key : `${prefix}/${key}`;
  };
  const failed = (doing: string, key: string, error: unknown): StoreError =>
    new StoreError(
      'STORE_FAILED',
      `cannot ${doing} ${key} in the cache ${location} (${nameOf(error)}${statusOf(error) === undefined ? '' : ` ${statusOf(error)}`})`,
    );
  const absent = (error: unknown): boolean =>
    statusOf(error) === 404 || nameOf(error) === 'NoSuchKey' || nameOf(error) === 'NotFound';
  /** A conditional write that did not hold: 412, 404 (If-Match on no object), 409 (a concurrent one). */
  const refused = (error: unknown): boolean => {
    const status = statusOf(error);
    return status === 412 || status === 409 || status === 404 || nameOf(error) === 'PreconditionFailed';
  };
  const bodyOf = (body: Uint8Array | string): Uint8Array =>
    typeof body === 'string' ? Buffer.from(body, 'utf8') : body;

  try {
    await client.send(
      new sdk.ListObjectsV2Command({
        Bucket: bucket,
        MaxKeys: 1,
        ...(prefix === '' ? {} : { Prefix: `${prefix}/` }),
      }),
    );
  } catch (error) {
    client.destroy();
    throw openFailure(error, location, options, bucket);
  }

  const put = async (
    key: string,
    body: Uint8Array | string,
    condition: { IfMatch?: string; IfNoneMatch?: string },
  ) => {
    const command = new sdk.PutObjectCommand({
      Bucket: bucket,
      Key: full(key),
      Body: bodyOf(body),
      ...condition,
    });
    try {
      await client.send(command);
      return true;
    } catch (error) {
      if ((condition.IfMatch !== undefined || condition.IfNoneMatch !== undefined) && refused(error))
        return false;
      throw failed('write', key, error);
    }
  };

  return {
    location,
    async get(key) {
      const command = new sdk.GetObjectCommand({ Bucket: bucket, Key: full(key) });
      try {
        const reply = await client.send(command);
        const bytes = await reply.Body?.transformToByteArray();
        return {
          body: Buffer.from(bytes ?? new Uint8Array()),
          etag: reply.ETag ?? '',
          modifiedMs: reply.LastModified?.getTime() ?? Date.now(),
        };
      } catch (error) {
        if (absent(error)) return undefined;
        throw failed('read', key, error);
      }
    },
    async head(key) {
      const command = new sdk.HeadObjectCommand({ Bucket: bucket, Key: full(key) });
      try {
        const reply = await client.send(command);
        return { size: reply.ContentLength ?? 0, etag: reply.ETag ?? '' };
      } catch (error) {
        if (absent(error)) return undefined;
        throw failed('look up', key, error);
      }
    },
    put: (key, body, putOptions = {}) =>
      put(key, body, putOptions.ifMatch === undefined ? {} : { IfMatch: putOptions.ifMatch }),
    putIfAbsent: (key, body) => put(key, body, { IfNoneMatch: '*' }),
    async *list(listPrefix) {
      const start = prefix === '' ? '' : `${prefix}/`;
      let token: string | undefined;
      do {
        let reply: ListReply;
        try {
          reply = await client.send(
            new sdk.ListObjectsV2Command({
              Bucket: bucket,
              Prefix: `${start}${listPrefix}`,
              ...(token === undefined ? {} : { ContinuationToken: token }),
            }),
          );
        } catch (error) {
          throw failed('list', listPrefix, error);
        }
        for (const item of reply.Contents ?? [])
          if (item.Key !== undefined) yield item.Key.slice(start.length);
        token = reply.IsTruncated === true ? reply.NextContinuationToken : undefined;
      } while (token !== undefined);
    },
    async delete(key) {
      const command = new sdk.DeleteObjectCommand({ Bucket: bucket, Key: full(key) });
      try {
        await client.send(command);
      } catch (error) {
        if (!absent(error)) throw failed('delete', key, error);
      }
    },
    async close() {
      client.destroy();
    },
  };
}
