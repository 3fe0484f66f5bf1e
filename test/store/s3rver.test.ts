/** The S3 driver against s3rver, a third-party S3 emulator (it ignores conditional writes). */
// assetgen pins the SDK release; its notice about later releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll } from 'vitest';
import { createS3Store } from '../../src/store/s3-store.js';
import { storeContract } from './contract.js';

let server: S3rver;
let endpoint = '';
let dir = '';
let prefixes = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assetgen-s3rver-'));
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: 'assetgen-test', configs: [] }],
  });
  const { address, port } = await server.run();
  endpoint = `http://${address}:${port}`;
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

storeContract('S3 (s3rver)', {
  open: () =>
    createS3Store({
      url: `s3://assetgen-test/run-${++prefixes}`,
      endpoint,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    }),
  noConditionalWrites: 's3rver ignores If-None-Match and If-Match (AWS S3, R2 and MinIO honour them)',
});
