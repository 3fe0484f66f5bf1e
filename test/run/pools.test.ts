import { describe, expect, it } from 'vitest';
import { createPools, PrioritySemaphore } from '../../src/run/pools.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('PrioritySemaphore', () => {
  it('admits at most its size, then serves waiters by priority and FIFO within one', async () => {
    const semaphore = new PrioritySemaphore(2);
    const first = await semaphore.acquire(0);
    const second = await semaphore.acquire(0);
    const order: string[] = [];
    const releases = new Map<string, () => void>();
    const wait = (name: string, priority: number) =>
      void semaphore.acquire(priority).then((release) => {
        order.push(name);
        releases.set(name, release);
      });
    wait('low-1', 0);
    wait('high-1', 2);
    wait('mid', 1);
    wait('high-2', 2);
    wait('low-2', 0);
    await tick();
    expect(order).toEqual([]);
    expect(semaphore.pending).toBe(5);
    first();
    second();
    await tick();
    expect(order).toEqual(['high-1', 'high-2']);
    releases.get('high-1')?.();
    await tick();
    expect(order).toEqual(['high-1', 'high-2', 'mid']);
    releases.get('high-2')?.();
    releases.get('mid')?.();
    await tick();
    expect(order).toEqual(['high-1', 'high-2', 'mid', 'low-1', 'low-2']);
    expect(semaphore.pending).toBe(0);
  });

  it('ignores a second release of the same slot', async () => {
    const semaphore = new PrioritySemaphore(1);
    const release = await semaphore.acquire();
    release();
    release();
    const a = await semaphore.acquire();
    let secondAdmitted = false;
    void semaphore.acquire().then(() => {
      secondAdmitted = true;
    });
    await tick();
    expect(secondAdmitted).toBe(false);
    a();
    await tick();
    expect(secondAdmitted).toBe(true);
  });

  it('refuses a size below one', () => {
    expect(() => new PrioritySemaphore(0)).toThrow(/≥ 1/);
  });
});

describe('createPools', () => {
  it('holds a model slot and a remote slot together, and frees both with one release', async () => {
    const pools = createPools({ remote: 2, models: { m: 1 } });
    const release = await pools.acquireRemote('m', 0);
    let otherModel = false;
    let sameModel = false;
    void pools.acquireRemote('other', 0).then(() => {
      otherModel = true;
    });
    void pools.acquireRemote('m', 0).then(() => {
      sameModel = true;
    });
    await tick();
    expect(otherModel).toBe(true);
    expect(sameModel).toBe(false);
    release();
    await tick();
    expect(sameModel).toBe(true);
  });
});
