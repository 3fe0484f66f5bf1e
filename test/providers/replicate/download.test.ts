import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { probeImage } from '../../../src/image/index.js';
import { downloadOutputs, extensionFor, sniffImageType } from '../../../src/providers/replicate/download.js';
import { createRedactor } from '../../../src/providers/replicate/errors.js';
import { CANARY, createFakeTime, png, tempDir } from './helpers.js';
import { type MiniReplicate, startMiniReplicate } from './mini-replicate.js';

let mini: MiniReplicate;
let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  mini = await startMiniReplicate();
  dir = await tempDir();
});
afterEach(async () => {
  await mini.close();
  await dir.remove();
});

function options(warnings: string[] = []) {
  return {
    workDir: dir.path,
    fetch: (i: string | URL | Request, init?: RequestInit) => fetch(i, init),
    time: createFakeTime(),
    redact: createRedactor([CANARY]),
    maxAttempts: 4,
    signal: new AbortController().signal,
    probe: probeImage,
    warn: (m: string) => warnings.push(m),
  };
}
const errCtx = { model: 'black-forest-labs/flux-schnell', predictionId: 'p9' };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('downloadOutputs', () => {
  it('streams each output to out-<i>.<ext> with sha256 and size, decodable', async () => {
    const a = await png(64, 32);
    const b = await png(16, 16, { r: 0, g: 0, b: 255, alpha: 0.5 });
    const urls = [mini.addFile('a.png', a, 'image/png'), mini.addFile('b', b, 'image/png')];
    const files = await downloadOutputs(urls, options(), errCtx);
    expect(files.map((f) => f.path.split('/').pop())).toEqual(['out-0.png', 'out-1.png']);
    expect(files[0]).toMatchObject({ bytes: a.length, sha256: sha(a), contentType: 'image/png' });
    expect(files[1]).toMatchObject({ bytes: b.length, sha256: sha(b) });
    expect(await readFile(files[0]?.path ?? '')).toEqual(a);
    expect(await probeImage(files[0]?.path ?? '')).toMatchObject({ width: 64, height: 32, format: 'png' });
  });

  it('retries a truncated download and leaves no partial file', async () => {
    const a = await png(128, 128);
    const url = mini.addFile('t.png', a, 'image/png', ['truncate', 'reset']);
    const warnings: string[] = [];
    const [file] = await downloadOutputs([url], options(warnings), errCtx);
    expect(mini.server.count('GET', '/out/t.png')).toBe(3);
    expect(file?.sha256).toBe(sha(a));
    expect(await readdir(dir.path)).toEqual(['out-0.png']);
    expect(warnings.length).toBe(2);
  });

  it('gives up after the attempts with no file left behind', async () => {
    const a = await png(128, 128);
    const url = mini.addFile('t.png', a, 'image/png', ['truncate', 'truncate', 'truncate', 'truncate']);
    const err = await downloadOutputs([url], options(), errCtx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).code).toBe('REPLICATE_DOWNLOAD');
    expect(await readdir(dir.path)).toEqual([]);
  });

  it('an expired URL (404) is a clear error, not retried', async () => {
    const url = mini.addFile('gone.webp', await png(8, 8), 'image/webp', ['not-found']);
    const err = await downloadOutputs([url], options(), errCtx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).code).toBe('REPLICATE_OUTPUT_EXPIRED');
    expect((err as Error).message).toMatch(/expired/);
    expect((err as Error).message).toContain('HTTP 404');
    expect((err as Error).message).toContain('p9');
    expect((err as Error).message).toContain('flux-schnell');
    expect(mini.server.count('GET', '/out/gone.webp')).toBe(1);
    expect(await readdir(dir.path)).toEqual([]);
  });

  it('decodes data: URIs and rejects outputs that are not images', async () => {
    const a = await png(10, 20);
    const [file] = await downloadOutputs(
      [`data:image/png;base64,${a.toString('base64')}`],
      options(),
      errCtx,
    );
    expect(file?.path.endsWith('out-0.png')).toBe(true);
    expect(file?.sha256).toBe(sha(a));
    const bad = mini.addFile('bad.png', Buffer.from('<html>not an image</html>'), 'image/png');
    const err = await downloadOutputs([bad], options(), errCtx).catch((e: unknown) => e);
    expect((err as Error).message).toContain('not a decodable image');
    // The undecodable file (also out-0.png, overwriting the first) is removed, not left as an output.
    expect(await readdir(dir.path)).toEqual([]);
  });

  it('gives an output typed application/octet-stream the type its bytes show (data: URI or served)', async () => {
    const a = await png(10, 20);
    const jpeg = await sharp({ create: { width: 6, height: 4, channels: 3, background: '#0a0' } })
      .jpeg()
      .toBuffer();
    const served = mini.addFile('blob', jpeg, 'application/octet-stream');
    const files = await downloadOutputs(
      [`data:application/octet-stream;base64,${a.toString('base64')}`, served],
      options(),
      errCtx,
    );
    expect(files.map((f) => [f.path.split('/').pop(), f.contentType])).toEqual([
      ['out-0.png', 'image/png'],
      ['out-1.jpg', 'image/jpeg'],
    ]);
    expect(files[0]?.sha256).toBe(sha(a));
    expect(await probeImage(files[1]?.path ?? '')).toMatchObject({ width: 6, height: 4, format: 'jpeg' });
    const noImage = `data:application/octet-stream;base64,${Buffer.from('{"not":"an image"}').toString('base64')}`;
    const err = await downloadOutputs([noImage], options(), errCtx).catch((e: unknown) => e);
    expect((err as Error).message).toContain('not a decodable image');
    expect(await readdir(dir.path)).toEqual(['out-0.png', 'out-1.jpg']);
  });

  it('recognises images by their first bytes', async () => {
    const webp = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#fff' } })
      .webp()
      .toBuffer();
    const gif = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#fff' } })
      .gif()
      .toBuffer();
    expect(sniffImageType(await png(2, 2))).toBe('image/png');
    expect(sniffImageType(webp)).toBe('image/webp');
    expect(sniffImageType(gif)).toBe('image/gif');
    expect(sniffImageType(Buffer.from('II*\0xxxx', 'latin1'))).toBe('image/tiff');
    expect(sniffImageType(Buffer.from('<svg'))).toBeUndefined();
  });

  it('takes the extension from the content type, else the URL', () => {
    expect(extensionFor('image/webp', 'https://x/y')).toBe('webp');
    expect(extensionFor('image/jpeg; charset=binary', 'https://x/y')).toBe('jpg');
    expect(extensionFor('application/octet-stream', 'https://replicate.delivery/a/out-0.JPEG?x=1')).toBe(
      'jpg',
    );
    expect(extensionFor(null, 'https://replicate.delivery/a/out-0.png')).toBe('png');
    expect(extensionFor(null, 'data:;base64,AA')).toBe('bin');
  });
});
