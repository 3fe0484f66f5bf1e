/**
 * Task claims over the S3 driver (the in-repo fake, which honours conditional writes): one claimant wins;
 * of many runs taking over one expired claim exactly one wins and inherits the journal state it carried;
 * a run whose lease lapsed and was taken over cannot overwrite the taker's claim.
 */
// assetgen pins the SDK release: its notice about later releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_VERSION, type ClaimHolder } from '../../src/store/claim-record.js';
import { createS3Store } from '../../src/store/s3-store.js';
import type { Store } from '../../src/store/store.js';
import { createTaskClaims } from '../../src/store/task-claims.js';
import { type FakeS3, startFakeS3 } from '../fake-s3/server.js';

const KEY = 'c'.repeat(64);

describe('task claims on S3', () => {
  let s3: FakeS3;
  let store: Store;
  let round = 0;
  beforeAll(async () => {
    s3 = await startFakeS3();
  });
  afterAll(async () => {
    await s3.close();
  });
  const fresh = async () => {
    store = await createS3Store({
      url: `s3://assetgen-test/claims-${++round}`,
      endpoint: s3.endpoint,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    return store;
  };
  const objectKey = () => `claims-${round}/claims/${KEY}.json`;
  const current = () =>
    JSON.parse(
      s3.buckets.get('assetgen-test')?.get(objectKey())?.body.toString() ?? 'null',
    ) as ClaimHolder | null;

  it('gives a task to one runner only; a dead pid on the same host does not count as stale', async () => {
    await fresh();
    const runs = Array.from({ length: 8 }, () => createTaskClaims(store, { isAlive: () => false }));
    const attempts = await Promise.all(runs.map((run) => run.claim(KEY)));
    expect(attempts.filter((attempt) => 'owned' in attempt)).toHaveLength(1);
    // Host names repeat across containers: only the lease decides on a shared store.
    expect('heldBy' in (await createTaskClaims(store, { isAlive: () => false }).claim(KEY))).toBe(true);
  });

  it('of many takers of one expired claim exactly one wins and inherits its prediction', async () => {
    for (let i = 0; i < 5; i++) {
      await fresh();
      const dead: ClaimHolder = {
        v: CLAIM_VERSION,
        key: KEY,
        owner: `dead-${i}`,
        pid: 1,
        host: 'gone',
        startedAt: new Date(Date.now() - 60_000).toISOString(),
        expiresAt: new Date(Date.now() - 1_000).toISOString(),
        journal: { intentAt: '2026-01-01T00:00:00.000Z', predictionId: `pred-${i}` },
      };
      s3.putObject('assetgen-test', objectKey(), JSON.stringify(dead));
      const runs = Array.from({ length: 6 }, () => createTaskClaims(store));
      const attempts = await Promise.all(runs.map((run) => run.claim(KEY)));
      const winners = attempts.flatMap((attempt) => ('owned' in attempt ? [attempt.owned] : []));
      expect(winners).toHaveLength(1);
      expect(winners[0]?.tookOver).toMatchObject({
        owner: `dead-${i}`,
        journal: { predictionId: `pred-${i}` },
      });
      const holder = current();
      expect(runs.map((run) => run.owner)).toContain(holder?.owner);
      // The taker's claim carries the prediction on, for whoever might take over from it.
      expect(holder?.journal?.predictionId).toBe(`pred-${i}`);
      for (const attempt of attempts)
        if ('heldBy' in attempt) expect(attempt.heldBy.owner).toBe(holder?.owner);
      await winners[0]?.note({ type: 'created', key: KEY, model: 'm', predictionId: `new-${i}`, at: '' });
      expect(current()?.journal?.predictionId).toBe(`new-${i}`);
      await winners[0]?.release();
      expect(current()).toBeNull();
    }
  });

  it('a runner whose lease lapsed and was taken over learns it and leaves the taker’s claim alone', async () => {
    await fresh();
    const slow = createTaskClaims(store, { leaseMs: 60_000 });
    const first = await slow.claim(KEY);
    if (!('owned' in first)) throw new Error('not owned');
    const lapsed = { ...(current() as ClaimHolder), expiresAt: new Date(Date.now() - 1).toISOString() };
    s3.putObject('assetgen-test', objectKey(), JSON.stringify(lapsed));
    const taker = createTaskClaims(store);
    expect('owned' in (await taker.claim(KEY))).toBe(true);
    expect(await first.owned.renew()).toBe(false);
    await first.owned.release();
    expect(current()?.owner).toBe(taker.owner);
    await taker.close();
    expect(current()).toBeNull();
  });
});
