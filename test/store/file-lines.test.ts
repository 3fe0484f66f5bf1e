/**
 * fileLines (store/file-lines.ts) on real files: lines across its 64 KiB chunks, a character of several
 * bytes cut by a chunk's end, CRLF, a last line without a newline, empty lines, a missing file; and it reads
 * only as far as it is asked.
 */
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileLines } from '../../src/store/file-lines.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assetgen-lines-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const collect = async (path: string): Promise<string[]> => {
  const lines: string[] = [];
  for await (const line of fileLines(path)) lines.push(line);
  return lines;
};

describe('fileLines', () => {
  it('gives every line as split on \\n, across chunks and cut characters', async () => {
    const path = join(dir, 'a.txt');
    // Lines of varied lengths with 3- and 4-byte characters, so that chunk ends fall inside characters.
    const lines = Array.from(
      { length: 5_000 },
      (_, i) => `${i}:${'é€😀'.repeat(i % 17)}${'x'.repeat(i % 101)}`,
    );
    lines.splice(100, 0, '', '');
    await writeFile(path, `${lines.join('\n')}\n`);
    expect(await collect(path)).toEqual(lines);
  });

  it('drops the \\r of CRLF and gives a last line without a newline', async () => {
    const path = join(dir, 'b.txt');
    await writeFile(path, 'one\r\ntwo\n\nthree');
    expect(await collect(path)).toEqual(['one', 'two', '', 'three']);
  });

  it('a missing file has no lines; an empty one neither', async () => {
    expect(await collect(join(dir, 'missing.txt'))).toEqual([]);
    await writeFile(join(dir, 'empty.txt'), '');
    expect(await collect(join(dir, 'empty.txt'))).toEqual([]);
  });

  it('reads on only when asked: lines appended after the first chunk was taken still come', async () => {
    const path = join(dir, 'c.txt');
    await writeFile(path, 'first\n');
    const lines = fileLines(path);
    expect((await lines.next()).value).toBe('first');
    // A reader that had read ahead to the end would not see this.
    await appendFile(path, 'second\n');
    expect((await lines.next()).value).toBe('second');
    expect((await lines.next()).done).toBe(true);
  });
});
