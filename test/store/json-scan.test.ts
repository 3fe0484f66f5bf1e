/**
 * scanJson (store/json-scan.ts) on real files: the members of the reported object come with their
 * absolute byte places — the key's quote and the value's [start, end) — at every chunk size down to one
 * byte (keys with escapes and characters of several bytes cut at every place), parsed only when asked;
 * the top's captured members come parsed.
 */
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ScannedMember, scanJson } from '../../src/store/json-scan.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assetgen-json-scan-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const members = {
  'a"q"\\/k#gen': { model: 'm', upstream: ['}', '{', ',', '"'], n: 1 },
  'é😀/x#up@draft': [1, [2, { x: '\\"' }], null],
  '\u0000\t': 'text, with: "quotes"',
  z: 12.5e3,
  empty: {},
};

describe('scanJson', () => {
  it('reports each member with the byte places of its key and value, at every chunk size', async () => {
    for (const [label, text] of [
      [
        'indented',
        `${JSON.stringify({ first: { tasks: 'no' }, tasks: members, last: [1, '{'] }, null, 2)}\n`,
      ],
      ['compact', JSON.stringify({ tasks: members, first: { tasks: 'no' } })],
    ] as const) {
      const path = join(dir, `${label}.json`);
      await writeFile(path, text);
      const bytes = await readFile(path);
      for (const chunkBytes of [1, 2, 3, 7, 64, 256 * 1024]) {
        for (const parse of [false, true]) {
          const found: ScannedMember[] = [];
          const handle = await open(path);
          const scan = await scanJson(handle, {
            capture: (name) => name === 'first' || name === 'tasks',
            members: {
              of: 'tasks',
              capture: (name) => parse && name !== 'z',
              onMember: (m) => found.push(m),
            },
            chunkBytes,
          }).finally(() => handle.close());
          const where = `${label}, ${chunkBytes}-byte chunks`;
          // `tasks` is reported member by member, never captured whole.
          expect(scan?.top, where).toEqual({ first: { tasks: 'no' } });
          expect(scan?.hasMembers).toBe(true);
          expect(found.map((m) => m.name)).toEqual(Object.keys(members));
          for (const member of found) {
            const value = members[member.name as keyof typeof members];
            const slice = (from: number, to: number) => bytes.subarray(from, to).toString('utf8');
            expect(JSON.parse(slice(member.start, member.end)), where).toEqual(value);
            expect(JSON.parse(`{${slice(member.keyStart, member.end)}}`)).toEqual({ [member.name]: value });
            if (parse && member.name !== 'z') expect(member.value).toEqual(value);
            else expect('value' in member).toBe(false);
          }
        }
      }
    }
  });

  it('reads what is not a JSON object as undefined, and a member that is not JSON when parsed', async () => {
    const path = join(dir, 'bad.json');
    const scan = async (text: string, parse: boolean) => {
      await writeFile(path, text);
      const handle = await open(path);
      try {
        return await scanJson(handle, { members: { of: 'tasks', capture: () => parse, onMember: () => {} } });
      } finally {
        await handle.close();
      }
    };
    for (const text of ['', '[]', '{"tasks": {"a": 1}', '{} {}', '{"tasks": {"a\\x": 1}}'])
      expect(await scan(text, false), text).toBeUndefined();
    expect(await scan('{"tasks": {"a": tru}}', true)).toBeUndefined();
    expect(await scan('{"tasks": {"a": tru}}', false)).toEqual({ top: {}, hasMembers: true });
    expect(await scan('{"tasks": [1]}', true)).toEqual({ top: {}, hasMembers: false });
  });
});
