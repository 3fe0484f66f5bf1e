/**
 * `--cache s3://bucket/prefix` (or `ASSETGEN_CACHE`) and the standard AWS variables → the library's `cache`
 * and `s3` options. Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN);
 * with AWS_PROFILE, a web identity token or container credentials set instead, the SDK's own chain finds
 * them. Region: AWS_REGION or AWS_DEFAULT_REGION. Endpoint (R2, MinIO): AWS_ENDPOINT_URL_S3 or
 * AWS_ENDPOINT_URL, addressed path-style. Checked here, before anything runs; no value is ever printed.
 */
import { StoreError } from '../errors.js';
import type { S3ConnectionOptions } from '../store/open-store.js';
import { parseS3Url } from '../store/s3-store.js';
import { httpUrlProblem } from './option-parsers.js';
import type { CliIO } from './output.js';

/** Variables that let the SDK find credentials on its own (a profile, OIDC web identity, ECS/EKS). */
const SDK_CREDENTIAL_SOURCES = [
  'AWS_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

export function cacheOptions(
  flag: string | undefined,
  io: CliIO,
): { cache?: string; s3?: S3ConnectionOptions } {
  const fromEnv = io.env.ASSETGEN_CACHE?.trim();
  const url = flag ?? (fromEnv === '' ? undefined : fromEnv);
  if (url === undefined) return {};
  const where = flag === undefined ? 'ASSETGEN_CACHE' : '--cache';
  const fail = (code: string, message: string) =>
    new StoreError(code, `${where}: ${message}`, { beforeRun: true });
  if (!url.startsWith('s3://')) {
    throw fail(
      'STORE_URL',
      `expected s3://bucket/prefix but received "${url}" (a local cache folder is --cache-dir)`,
    );
  }
  const { bucket, prefix } = parseS3Url(url);
  const location = `s3://${bucket}${prefix === '' ? '' : `/${prefix}`}`;
  const env = io.env;
  const keyId = env.AWS_ACCESS_KEY_ID?.trim() || undefined;
  const secret = env.AWS_SECRET_ACCESS_KEY?.trim() || undefined;
  if ((keyId === undefined) !== (secret === undefined)) {
    const missing = keyId === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
    throw fail(
      'STORE_NO_CREDENTIALS',
      `${missing} is not set (both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are needed for ${location})`,
    );
  }
  if (keyId === undefined && !SDK_CREDENTIAL_SOURCES.some((name) => (env[name] ?? '') !== '')) {
    throw fail(
      'STORE_NO_CREDENTIALS',
      `no AWS credentials for ${location}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)`,
    );
  }
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const problem = endpoint === undefined ? undefined : httpUrlProblem(endpoint);
  if (problem !== undefined) throw fail('STORE_URL', `AWS_ENDPOINT_URL: ${problem}`);
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const token = env.AWS_SESSION_TOKEN?.trim() || undefined;
  // assetgen pins its SDK release: the SDK's notice that later releases need Node 22 says nothing to do.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return {
    cache: url,
    s3: {
      ...(region === undefined ? {} : { region }),
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(keyId === undefined || secret === undefined
        ? {}
        : {
            credentials: {
              accessKeyId: keyId,
              secretAccessKey: secret,
              ...(token === undefined ? {} : { sessionToken: token }),
            },
          }),
    },
  };
}
