/**
 * The store contract: the same behaviour tests for every driver (filesystem, the in-repo S3 fake, s3rver).
 * A driver whose backend ignores conditional writes (s3rver ignores `If-None-Match` and `If-Match`) runs
 * everything but the conditional tests, which are skipped with that reason.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';

export interface ContractSetup {
  /** A fresh, empty store. */
  open(): Promise<Store>;
  /** Why conditional writes are not tested on this driver, if they are not. */
  noConditionalWrites?: string;
}

const collect = async (keys: AsyncIterable<string>): Promise<string[]> => {
  const all: string[] = [];
  for await (const key of keys) all.push(key);
  return all.sort();
};

export function storeContract(driver: string, setup: ContractSetup): void {
  describe(`store contract: ${driver}`, () => {
    const conditional = setup.noConditionalWrites === undefined ? it : it.skip;
    if (setup.noConditionalWrites !== undefined) {
      it(`(conditional writes not tested: ${setup.noConditionalWrites})`, () => {});
    }

    it('has nothing under a key never written; deleting it is no error', async () => {
      const store = await setup.open();
      expect(await store.get('tasks/ab/nothing.json')).toBeUndefined();
      expect(await store.head('tasks/ab/nothing.json')).toBeUndefined();
      await store.delete('tasks/ab/nothing.json');
      expect(await collect(store.list('tasks/'))).toEqual([]);
    });

    it('gives back exactly the bytes put, with one version for get and head, a new one per write', async () => {
      const store = await setup.open();
      const bytes = Buffer.from([0, 255, 10, 13, 0x89, 0x50, 0x4e, 0x47]);
      expect(await store.put('objects/ab/abc', bytes)).toBe(true);
      const got = await store.get('objects/ab/abc');
      expect(got?.body.equals(bytes)).toBe(true);
      const info = await store.head('objects/ab/abc');
      expect(info?.size).toBe(bytes.length);
      expect(info?.etag).toBe(got?.etag);
      await store.put('objects/ab/abc', 'replaced');
      const again = await store.get('objects/ab/abc');
      expect(again?.body.toString()).toBe('replaced');
      expect(again?.etag).not.toBe(got?.etag);
      await store.put('objects/ab/empty', new Uint8Array());
      expect((await store.get('objects/ab/empty'))?.body.length).toBe(0);
      await store.delete('objects/ab/abc');
      expect(await store.get('objects/ab/abc')).toBeUndefined();
    });

    it('lists the keys under a prefix, nested ones too, and no others', async () => {
      const store = await setup.open();
      const keys = [
        'claims/a.json',
        'claims/b.json',
        'tasks/aa/x.json',
        'tasks/ab/y.json',
        'tasks/ab/z.json',
      ];
      for (const key of keys) await store.put(key, key);
      expect(await collect(store.list('tasks/'))).toEqual([
        'tasks/aa/x.json',
        'tasks/ab/y.json',
        'tasks/ab/z.json',
      ]);
      expect(await collect(store.list('tasks/ab/'))).toEqual(['tasks/ab/y.json', 'tasks/ab/z.json']);
      expect(await collect(store.list('claims/'))).toEqual(['claims/a.json', 'claims/b.json']);
      await store.delete('claims/a.json');
      expect(await collect(store.list('claims/'))).toEqual(['claims/b.json']);
    });

    it('refuses keys that could leave its root', async () => {
      const store = await setup.open();
      for (const key of ['../x', 'a/../../x', '/abs', 'a//b', '']) {
        await expect(store.put(key, 'x')).rejects.toThrow(/bad store key/);
      }
    });

    conditional('putIfAbsent creates only when nothing is there', async () => {
      const store = await setup.open();
      expect(await store.putIfAbsent('claims/k.json', 'first')).toBe(true);
      expect(await store.putIfAbsent('claims/k.json', 'second')).toBe(false);
      expect((await store.get('claims/k.json'))?.body.toString()).toBe('first');
      await store.delete('claims/k.json');
      expect(await store.putIfAbsent('claims/k.json', 'third')).toBe(true);
    });

    conditional('put with ifMatch replaces only the version named', async () => {
      const store = await setup.open();
      await store.put('claims/k.json', 'one');
      const one = await store.get('claims/k.json');
      expect(await store.put('claims/k.json', 'two', { ifMatch: one?.etag ?? '' })).toBe(true);
      expect(await store.put('claims/k.json', 'three', { ifMatch: one?.etag ?? '' })).toBe(false);
      expect((await store.get('claims/k.json'))?.body.toString()).toBe('two');
      expect(await store.put('claims/none.json', 'x', { ifMatch: one?.etag ?? '' })).toBe(false);
      expect(await store.get('claims/none.json')).toBeUndefined();
    });

    conditional('of racing creators exactly one wins, and of racing replacers of one version', async () => {
      const store = await setup.open();
      for (let round = 0; round < 5; round++) {
        const key = `claims/race-${round}.json`;
        const created = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.putIfAbsent(key, `creator ${i}`)),
        );
        expect(created.filter(Boolean)).toHaveLength(1);
        const winner = created.indexOf(true);
        expect((await store.get(key))?.body.toString()).toBe(`creator ${winner}`);
        const etag = (await store.head(key))?.etag ?? '';
        const replaced = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.put(key, `replacer ${i}`, { ifMatch: etag })),
        );
        expect(replaced.filter(Boolean)).toHaveLength(1);
        expect((await store.get(key))?.body.toString()).toBe(`replacer ${replaced.indexOf(true)}`);
      }
    });
  });
}
