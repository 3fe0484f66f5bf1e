import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { CLAIM_VERSION, type ClaimHolder } from '../../src/store/claim-record.js';
import { createTaskClaims } from '../../src/store/task-claims.js';

const KEY = 'a'.repeat(64);
/** Above any pid_max: no such process. */
const NO_SUCH_PID = 2_000_000_000;

/** A process id that existed a moment ago and exists no longer. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((done) => child.on('exit', done));
  return child.pid ?? 0;
}

describe('task claims', () => {
  let cache: string;
  beforeEach(async () => {
    cache = await mkdtemp(join(tmpdir(), 'assetgen-claims-'));
  });
  afterEach(async () => {
    await rm(cache, { recursive: true, force: true });
  });

  const claimPath = () => join(cache, 'claims', `${KEY}.json`);
  const writeClaim = async (fields: Partial<ClaimHolder>) => {
    await mkdir(join(cache, 'claims'), { recursive: true });
    const holder: ClaimHolder = {
      v: CLAIM_VERSION,
      key: KEY,
      owner: 'someone',
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      ...fields,
    };
    await writeFile(claimPath(), JSON.stringify(holder));
  };

  it('gives a task to one run only, and to the next once it is released', async () => {
    const first = createTaskClaims(cache);
    const second = createTaskClaims(cache);
    const a = await first.claim(KEY);
    expect('owned' in a).toBe(true);
    const written = JSON.parse(await readFile(claimPath(), 'utf8')) as ClaimHolder;
    expect(written).toMatchObject({ v: CLAIM_VERSION, key: KEY, owner: first.owner, pid: process.pid });
    expect(Date.parse(written.expiresAt)).toBeGreaterThan(Date.now());

    const b = await second.claim(KEY);
    expect(b).toEqual({ heldBy: expect.objectContaining({ owner: first.owner }) });
    if ('owned' in a) await a.owned.release();
    await expect(readFile(claimPath())).rejects.toThrow(/ENOENT/);
    const c = await second.claim(KEY);
    expect('owned' in c && c.owned.tookOver).toBe(undefined);
    // Nothing but the claim is left behind (no private temporary files).
    expect(await readdir(join(cache, 'claims'))).toEqual([`${KEY}.json`]);
  });

  it('of many simultaneous claims exactly one wins', async () => {
    const runs = Array.from({ length: 12 }, () => createTaskClaims(cache));
    const attempts = await Promise.all(runs.map((run) => run.claim(KEY)));
    expect(attempts.filter((attempt) => 'owned' in attempt)).toHaveLength(1);
  });

  it('renews the lease while held, and a renewal reports a claim that is no longer its own', async () => {
    // Renewed every lease/3 = 200 ms; the lease is long enough that a loaded machine never lets it lapse.
    const claims = createTaskClaims(cache, { leaseMs: 600 });
    const attempt = await claims.claim(KEY);
    if (!('owned' in attempt)) throw new Error('not owned');
    const before = (JSON.parse(await readFile(claimPath(), 'utf8')) as ClaimHolder).expiresAt;
    let after = JSON.parse(await readFile(claimPath(), 'utf8')) as ClaimHolder;
    for (let look = 0; look < 200 && after.expiresAt === before; look++) {
      await new Promise((done) => setTimeout(done, 25));
      after = JSON.parse(await readFile(claimPath(), 'utf8')) as ClaimHolder;
    }
    expect(Date.parse(after.expiresAt)).toBeGreaterThan(Date.parse(before));
    expect(after.startedAt).toBe((JSON.parse(await readFile(claimPath(), 'utf8')) as ClaimHolder).startedAt);
    // Still live for another run.
    expect('heldBy' in (await createTaskClaims(cache).claim(KEY))).toBe(true);

    await writeClaim({ owner: 'usurper' });
    expect(await attempt.owned.renew()).toBe(false);
    await attempt.owned.release(); // does not delete the other owner's claim
    expect(JSON.parse(await readFile(claimPath(), 'utf8')).owner).toBe('usurper');
  });

  it('takes over a claim whose lease expired, from any host', async () => {
    await writeClaim({ host: 'elsewhere', pid: 1, expiresAt: new Date(Date.now() - 1).toISOString() });
    const claims = createTaskClaims(cache);
    const attempt = await claims.claim(KEY);
    expect('owned' in attempt && attempt.owned.tookOver).toMatchObject({
      owner: 'someone',
      host: 'elsewhere',
    });
    expect(JSON.parse(await readFile(claimPath(), 'utf8')).owner).toBe(claims.owner);
  });

  it('takes over a live-leased claim of a process on this host that no longer exists', async () => {
    await writeClaim({ pid: await deadPid() });
    const attempt = await createTaskClaims(cache).claim(KEY);
    expect('owned' in attempt && attempt.owned.tookOver?.owner).toBe('someone');
  });

  it('respects a live-leased claim of a living process, and of another host whatever its pid', async () => {
    await writeClaim({ pid: process.pid });
    expect('heldBy' in (await createTaskClaims(cache).claim(KEY))).toBe(true);
    await writeClaim({ host: 'elsewhere', pid: await deadPid() });
    expect('heldBy' in (await createTaskClaims(cache).claim(KEY))).toBe(true);
  });

  it('judges an unreadable claim by its age', async () => {
    await mkdir(join(cache, 'claims'), { recursive: true });
    await writeFile(claimPath(), '{"owner":"cut sh');
    expect('heldBy' in (await createTaskClaims(cache).claim(KEY))).toBe(true);
    const short = createTaskClaims(cache, { leaseMs: 50 });
    await new Promise((done) => setTimeout(done, 80));
    const taken = await short.claim(KEY);
    expect('owned' in taken).toBe(true);
    // Released and closed: a lease renewed after the test would write into the folder being removed.
    if ('owned' in taken) await taken.owned.release();
    await short.close();
  });

  it('of many waiters taking over one stale claim exactly one wins, the others see its claim', async () => {
    for (let round = 0; round < 20; round++) {
      await writeClaim({ owner: `dead-${round}`, pid: NO_SUCH_PID });
      const runs = Array.from({ length: 6 }, () => createTaskClaims(cache));
      const attempts = await Promise.all(runs.map((run) => run.claim(KEY)));
      const winners = attempts.flatMap((attempt) => ('owned' in attempt ? [attempt.owned] : []));
      expect(winners).toHaveLength(1);
      const winnerOwner = JSON.parse(await readFile(claimPath(), 'utf8')).owner;
      expect(runs.map((run) => run.owner)).toContain(winnerOwner);
      for (const attempt of attempts) {
        if ('heldBy' in attempt) expect(attempt.heldBy.owner).toBe(winnerOwner);
      }
      await winners[0]?.release();
    }
    expect(await readdir(join(cache, 'claims'))).toEqual([]);
  });

  it('waits for a live holder: serves its result, or claims when it lets go without one', async () => {
    const holder = createTaskClaims(cache);
    const waiter = createTaskClaims(cache, { pollMs: { first: 5, max: 20 } });
    const held = await holder.claim(KEY);
    if (!('owned' in held)) throw new Error('not owned');
    let result: string | undefined;
    const waiting: ClaimHolder[] = [];
    const served = waiter.wait(KEY, { result: async () => result, onWaiting: (h) => waiting.push(h) });
    await new Promise((done) => setTimeout(done, 60));
    result = 'the record';
    await held.owned.release();
    expect(await served).toEqual({ result: 'the record' });
    expect(waiting.map((h) => h.owner)).toEqual([holder.owner]);

    const again = await holder.claim(`${KEY.slice(1)}b`);
    if (!('owned' in again)) throw new Error('not owned');
    const claimed = waiter.wait(`${KEY.slice(1)}b`, { result: async () => undefined });
    await new Promise((done) => setTimeout(done, 30));
    await again.owned.release(); // failed: no result
    const outcome = await claimed;
    expect('owned' in outcome).toBe(true);
    await waiter.close();
    expect(await readdir(join(cache, 'claims'))).toEqual([]);
  });

  it('stops waiting when the run is cancelled', async () => {
    await writeClaim({});
    const controller = new AbortController();
    const waiting = createTaskClaims(cache).wait(KEY, {
      signal: controller.signal,
      result: async () => undefined,
    });
    setTimeout(() => controller.abort(), 30);
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
  });

  it('tells whether another live run holds claims', async () => {
    const mine = createTaskClaims(cache);
    expect(await mine.othersActive()).toBe(false);
    await mine.claim('b'.repeat(64));
    expect(await mine.othersActive()).toBe(false);
    await writeClaim({ pid: NO_SUCH_PID });
    expect(await mine.othersActive()).toBe(false);
    await writeClaim({});
    expect(await mine.othersActive()).toBe(true);
    await mine.close();
  });
});
