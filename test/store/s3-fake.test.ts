// assetgen pins the SDK release; its notice about later releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Store } from '../../src/store/s3-store.js';
import { type FakeS3, startFakeS3 } from '../fake-s3/server.js';
import { storeContract } from './contract.js';

let fake: FakeS3;
let prefixes = 0;
beforeAll(async () => {
  fake = await startFakeS3();
});
afterAll(async () => {
  await fake.close();
});

const open = (url: string) =>
  createS3Store({
    url,
    endpoint: fake.endpoint,
    region: 'auto',
    credentials: { accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey },
  });

storeContract('S3 (in-repo fake)', { open: () => open(`s3://assetgen-test/run-${++prefixes}`) });

describe('S3 store on the fake', () => {
  it('keeps its keys under the prefix, path-style, and another prefix sees none of them', async () => {
    const a = await open('s3://assetgen-test/team/a');
    const b = await open('s3://assetgen-test/team/b/');
    await a.put('tasks/ab/x.json', 'x');
    expect(fake.buckets.get('assetgen-test')?.has('team/a/tasks/ab/x.json')).toBe(true);
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PUT',
      bucket: 'assetgen-test',
      key: 'team/a/tasks/ab/x.json',
    });
    expect(await b.get('tasks/ab/x.json')).toBeUndefined();
    const keys: string[] = [];
    for await (const key of a.list('tasks/')) keys.push(key);
    expect(keys).toEqual(['tasks/ab/x.json']);
  });

  it('says clearly when the bucket is missing, the keys are refused or the endpoint is down', async () => {
    await expect(open('s3://no-such-bucket/x')).rejects.toMatchObject({
      code: 'STORE_NO_BUCKET',
      beforeRun: true,
      message: expect.stringContaining('"no-such-bucket" does not exist'),
    });
    const refused = createS3Store({
      url: 's3://assetgen-test',
      endpoint: fake.endpoint,
      credentials: { accessKeyId: 'wrong-key', secretAccessKey: 'a-secret-value-42' },
    });
    await expect(refused).rejects.toMatchObject({ code: 'STORE_ACCESS_DENIED' });
    await expect(refused).rejects.not.toThrow(/a-secret-value-42/);
    const down = createS3Store({
      url: 's3://assetgen-test',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey },
    });
    await expect(down).rejects.toMatchObject({ code: 'STORE_UNREACHABLE' });
  }, 60_000);

  it('refuses URLs that are not s3://bucket/prefix', async () => {
    for (const url of [
      's3:/bucket',
      's3://',
      'http://bucket/x',
      's3://Bad_Bucket/x',
      's3://ok-bucket/../x',
    ]) {
      await expect(open(url)).rejects.toMatchObject({ code: 'STORE_URL', beforeRun: true });
    }
  });
});
