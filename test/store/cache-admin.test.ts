/**
 * `cache ls | gc | clear` and fetched model schemas: ls counts the documents and their bytes, gc keeps
 * every readable schema record (locks pin them) and drops an unreadable one, clear removes them all.
 */
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSchemaStore } from '../../src/models/schema-store.js';
import { clearCache, collectGarbage, listCache } from '../../src/store/cache-admin.js';

const DOC = { openapi: '3.0.2', components: { schemas: { Input: { type: 'object' } } } };

describe('cache admin with model schemas', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-cache-admin-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('lists, collects and clears schema records', async () => {
    const schemas = createSchemaStore(dir);
    const hash = await schemas.put(DOC);
    await schemas.putVersion('acme/forge', 'b'.repeat(64), hash);
    const torn = join(schemas.dir, 'versions', `${'c'.repeat(64)}.json`);
    await writeFile(torn, '{"format":1,"sch');

    const listing = await listCache(dir);
    expect(listing.schemas).toBe(1);
    expect(listing.objects).toBe(0);
    const document = await stat(join(schemas.dir, 'objects', `${hash}.json`));
    expect(listing.bytes).toBeGreaterThan(document.size);

    const collected = await collectGarbage(dir);
    expect(collected.removedFiles).toBe(1);
    expect(await readdir(join(schemas.dir, 'versions'))).toEqual([`${'b'.repeat(64)}.json`]);
    expect(await schemas.get(hash)).toEqual(DOC);

    expect((await clearCache(dir)).schemas).toBe(1);
    expect((await listCache(dir)).schemas).toBe(0);
  });
});
