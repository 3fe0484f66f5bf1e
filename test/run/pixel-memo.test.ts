import { describe, expect, it } from 'vitest';
import { createPixelMemo } from '../../src/run/pixel-memo.js';

const image = (bytes: number) => ({
  data: Buffer.alloc(bytes),
  width: bytes,
  height: 1,
  channels: 1 as const,
});

describe('pixel memo', () => {
  it('keeps at most its byte budget, dropping the least recently used first', () => {
    const memo = createPixelMemo(300);
    memo.put('a', image(100));
    memo.put('b', image(100));
    memo.put('c', image(100));
    expect(memo.get('a')).toBeDefined(); // a is now the most recently used
    memo.put('d', image(100));
    expect(memo.get('b')).toBeUndefined();
    expect(memo.get('a')).toBeDefined();
    expect(memo.get('c')).toBeDefined();
    expect(memo.get('d')).toBeDefined();
  });

  it('does not keep an image larger than its whole budget', () => {
    const memo = createPixelMemo(50);
    memo.put('big', image(51));
    expect(memo.get('big')).toBeUndefined();
  });
});
