/** How a test reaches the in-repo S3 fake (test/fake-s3/): as library options, and as the CLI's AWS_* variables. */
import type { S3ConnectionOptions } from '../../src/store/open-store.js';
import type { FakeS3 } from '../fake-s3/server.js';

/** The `s3` option of `runRecipes` / `planRecipes` for the fake. */
export function fakeS3Connection(s3: FakeS3): S3ConnectionOptions {
  return {
    endpoint: s3.endpoint,
    region: 'auto',
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  };
}

/** The environment a CLI process reads the same connection from. */
export function fakeS3Env(s3: FakeS3): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_REGION: 'auto',
  };
}
