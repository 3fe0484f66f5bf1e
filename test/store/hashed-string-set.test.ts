import { describe, expect, it } from 'vitest';
import { hashedStringSet } from '../../src/hashed-string-set.js';

describe('hashedStringSet', () => {
  it('holds every member it was given, through growth, and counts distinct members', () => {
    const paths = Array.from({ length: 50_000 }, (_, i) => `recipe/a${i}-${i % 7}.png`);
    const set = hashedStringSet(['manifest.json']);
    for (const path of paths) set.add(path);
    for (const path of paths.slice(0, 100)) set.add(path); // again: no new member
    expect(set.size).toBe(50_001);
    expect(paths.every((path) => set.has(path))).toBe(true);
    expect(set.has('manifest.json')).toBe(true);
  });

  it('says no to strings never added (a false yes is about n / 2^63)', () => {
    const set = hashedStringSet(Array.from({ length: 20_000 }, (_, i) => `a${i}.png`));
    const strangers = Array.from({ length: 20_000 }, (_, i) => `a${i}.webp`);
    expect(strangers.filter((path) => set.has(path))).toEqual([]);
    expect(set.has('')).toBe(false);
    expect(hashedStringSet().has('anything')).toBe(false);
  });

  it('tells apart strings that differ only in Unicode form or case', () => {
    const set = hashedStringSet(['café.png', 'Logo.png']);
    expect(set.has('café.png')).toBe(true);
    expect(set.has('cafe\u0301.png')).toBe(false);
    expect(set.has('logo.png')).toBe(false);
  });
});
