import { describe, expect, it } from 'vitest';
import { GLYPH_HEIGHT, glyphRows, toDrawableText } from '../../../src/providers/local/bitmap-font.js';
import { fluxSize, renderPlaceholder } from '../../../src/providers/local/index.js';
import { wrapText } from '../../../src/providers/local/placeholder.js';

describe('fluxSize', () => {
  it('gives flux’s sizes, halved at 0.25 megapixels', () => {
    expect(fluxSize('1:1', '1')).toEqual({ width: 1024, height: 1024 });
    expect(fluxSize('16:9', '1')).toEqual({ width: 1344, height: 768 });
    expect(fluxSize('21:9', '1')).toEqual({ width: 1536, height: 640 });
    expect(fluxSize('3:4', '0.25')).toEqual({ width: 448, height: 576 });
  });

  it('follows the rule (rounded to 16) for other ratios and sizes', () => {
    expect(fluxSize('2:1', '1')).toEqual({ width: 1456, height: 736 });
    expect(fluxSize('1:1', '2')).toEqual({ width: 1456, height: 1456 });
    expect(fluxSize('wide', '1')).toBeUndefined();
    expect(fluxSize('1:1', '0')).toBeUndefined();
  });
});

describe('the bitmap font', () => {
  it('has a glyph for every printable ASCII character', () => {
    const fallback = glyphRows('?');
    for (let code = 0x20; code <= 0x7e; code++) {
      const char = String.fromCharCode(code);
      const rows = glyphRows(char);
      expect(rows).toHaveLength(GLYPH_HEIGHT);
      if (char !== '?') expect(rows, char).not.toBe(fallback);
      if (char !== ' ')
        expect(
          rows.some((r) => r !== 0),
          char,
        ).toBe(true);
    }
  });

  it('makes any text drawable', () => {
    expect(toDrawableText('Crème brûlée — “fancy”…  ×2 日本')).toBe('Creme brulee - "fancy"... x2 ??');
  });
});

describe('wrapText', () => {
  it('wraps at word boundaries and cuts words longer than a line', () => {
    expect(wrapText('a glazed ceramic mug', 10)).toEqual(['a glazed', 'ceramic', 'mug']);
    expect(wrapText('supercalifragilistic x', 8)).toEqual(['supercal', 'ifragili', 'stic x']);
  });
});

describe('renderPlaceholder', () => {
  it('is deterministic RGBA of the requested size, opaque everywhere', () => {
    const spec = { prompt: 'hello', seed: 1, width: 96, height: 64, label: 'flux-schnell' };
    const a = renderPlaceholder(spec);
    expect(a).toMatchObject({ width: 96, height: 64, channels: 4 });
    expect(a.data.length).toBe(96 * 64 * 4);
    expect(Buffer.compare(a.data, renderPlaceholder(spec).data)).toBe(0);
    for (let i = 3; i < a.data.length; i += 4) expect(a.data[i]).toBe(255);
    expect(Buffer.compare(a.data, renderPlaceholder({ ...spec, seed: 2 }).data)).not.toBe(0);
  });

  it('writes the prompt on the card: more text, more ink', () => {
    const base = { seed: 5, width: 320, height: 240, label: 'x' };
    // ink = very light pixels inside the (dark) card, away from its rounded edge
    const ink = (prompt: string) => {
      const raw = renderPlaceholder({ ...base, prompt });
      let count = 0;
      for (let y = 60; y < 180; y++) {
        for (let x = 70; x < 250; x++) {
          const i = (y * 320 + x) * 4;
          if (Math.min(raw.data[i] ?? 0, raw.data[i + 1] ?? 0, raw.data[i + 2] ?? 0) > 200) count++;
        }
      }
      return count;
    };
    const short = ink('i');
    const long = ink('WWWW MMMM WWWW MMMM');
    expect(short).toBeGreaterThan(0);
    expect(long).toBeGreaterThan(short + 200);
  });
});
