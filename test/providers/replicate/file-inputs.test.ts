import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_INLINE_BYTES, prepareInputs } from '../../../src/providers/replicate/file-inputs.js';
import type { InputFile } from '../../../src/providers/types.js';
import { tempDir } from './helpers.js';

async function inputFile(dir: string, name: string, bytes: Buffer): Promise<InputFile> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { kind: 'file', path, sha256: 'x', bytes: bytes.length, contentType: 'image/png' };
}

describe('prepareInputs', () => {
  it('inlines files up to 256 KB as data URIs, uploads larger ones, passes strings through', async () => {
    const dir = await tempDir();
    try {
      const small = Buffer.alloc(MAX_INLINE_BYTES, 7);
      const big = Buffer.alloc(MAX_INLINE_BYTES + 1, 9);
      const uploaded: number[] = [];
      const out = await prepareInputs(
        {
          image: await inputFile(dir.path, 'small.png', small),
          mask: await inputFile(dir.path, 'big.png', big),
          url: 'https://example.invalid/x.png',
          nested: [{ again: await inputFile(dir.path, 'big.png', big) }],
          scale: 2,
        },
        async (_file, bytes) => {
          uploaded.push(bytes.length);
          return 'https://api.replicate.com/v1/files/f1';
        },
      );
      expect(out.image).toBe(`data:image/png;base64,${small.toString('base64')}`);
      expect(out.mask).toBe('https://api.replicate.com/v1/files/f1');
      expect(out.nested).toEqual([{ again: 'https://api.replicate.com/v1/files/f1' }]);
      expect(out.url).toBe('https://example.invalid/x.png');
      expect(out.scale).toBe(2);
      expect(uploaded).toEqual([MAX_INLINE_BYTES + 1]);
    } finally {
      await dir.remove();
    }
  });
});
