/**
 * The schema store's two layers: records in the cache folder as assetgen has always written them are read
 * as they are (without asking the remote store); a record only in the remote store is checked and copied
 * into the folder; documents go to the store once (`putIfAbsent`), a model's last fetch replaces its record.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSchemaStore, schemaHash } from '../../src/models/schema-store.js';
import { createFsStore } from '../../src/store/fs-store.js';
import type { Store } from '../../src/store/store.js';

const DOC = { openapi: '3.0.2', components: { schemas: { Input: { type: 'object', properties: {} } } } };
const VERSION = 'a'.repeat(64);

/** A real folder store standing in for S3, counting the reads it answers. */
function countingStore(dir: string): Store & { gets: string[] } {
  const inner = createFsStore(dir);
  const gets: string[] = [];
  return {
    ...inner,
    gets,
    get: (key) => {
      gets.push(key);
      return inner.get(key);
    },
  };
}

describe('schema store', () => {
  let dir: string;
  let local: string;
  let remote: ReturnType<typeof countingStore>;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-schema-store-'));
    local = join(dir, 'cache');
    remote = countingStore(join(dir, 'remote'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads a folder an older assetgen wrote, asking the remote store nothing', async () => {
    const hash = schemaHash(DOC);
    await mkdir(join(local, 'schemas/v1/objects'), { recursive: true });
    await mkdir(join(local, 'schemas/v1/versions'), { recursive: true });
    await writeFile(
      join(local, 'schemas/v1/objects', `${hash}.json`),
      `${JSON.stringify({ format: 1, sha256: hash, openapi_schema: DOC })}\n`,
    );
    await writeFile(
      join(local, 'schemas/v1/versions', `${VERSION}.json`),
      `${JSON.stringify({ format: 1, model: 'acme/forge', version: VERSION, schema: hash })}\n`,
    );
    const store = createSchemaStore(local, { remote });
    expect(await store.get(hash)).toEqual(DOC);
    expect(await store.version(VERSION)).toBe(hash);
    expect(remote.gets).toEqual([]);
  });

  it('copies a record found only in the remote store into the folder; a tampered one is missing', async () => {
    const hash = await createSchemaStore(join(dir, 'elsewhere'), { remote }).put(DOC);
    const store = createSchemaStore(local, { remote });
    expect(await store.get(hash)).toEqual(DOC);
    expect(remote.gets).toHaveLength(1);
    const copied = JSON.parse(await readFile(join(local, 'schemas/v1/objects', `${hash}.json`), 'utf8'));
    expect(copied.openapi_schema).toEqual(DOC);
    expect(await store.get(hash)).toEqual(DOC);
    expect(remote.gets).toHaveLength(1); // the folder answers now

    const other = { ...DOC, openapi: '3.1.0' };
    const otherHash = schemaHash(other);
    await remote.put(
      `schemas/v1/objects/${otherHash}.json`,
      JSON.stringify({ format: 1, sha256: otherHash, openapi_schema: DOC }),
    );
    expect(await store.get(otherHash)).toBeUndefined();
    await remote.put(`schemas/v1/versions/${VERSION}.json`, JSON.stringify({ format: 2, schema: otherHash }));
    expect(await store.version(VERSION)).toBeUndefined(); // another format reads as missing
  });

  it('writes documents to the remote store once and replaces a model’s last fetch', async () => {
    const store = createSchemaStore(local, { remote });
    const hash = await store.put(DOC);
    const first = await remote.head(`schemas/v1/objects/${hash}.json`);
    await createSchemaStore(join(dir, 'again'), { remote }).put(DOC);
    expect((await remote.head(`schemas/v1/objects/${hash}.json`))?.etag).toBe(first?.etag);

    const seen = { model: 'acme/forge', official: false, version: VERSION, schema: hash, fetchedAt: '1' };
    await store.putSeen(seen);
    await createSchemaStore(join(dir, 'later'), { remote }).putSeen({ ...seen, fetchedAt: '2' });
    expect((await createSchemaStore(join(dir, 'fresh'), { remote }).seen('acme/forge'))?.fetchedAt).toBe('2');
  });
});
