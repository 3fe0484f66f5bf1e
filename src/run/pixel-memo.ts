/**
 * The pixels of image-step results made in this run, by the sha256 of their PNG, so that the asset's
 * outputs are encoded from them instead of decoding the PNG again (measured: 4 decodes of an 800² PNG are
 * ~5 % of the CPU of an image step with four outputs). Bounded by bytes, least recently used first out;
 * a miss only means a decode. Outputs are identical either way (test/image/kept-pixels.test.ts).
 */
import type { RawImage } from '../image/index.js';

export interface PixelMemo {
  get(sha256: string): RawImage | undefined;
  put(sha256: string, pixels: RawImage): void;
}

export const DEFAULT_PIXEL_MEMO_BYTES = 64 * 1024 * 1024;

export function createPixelMemo(maxBytes = DEFAULT_PIXEL_MEMO_BYTES): PixelMemo {
  const entries = new Map<string, RawImage>();
  let bytes = 0;
  return {
    get(sha256) {
      const pixels = entries.get(sha256);
      if (pixels !== undefined) {
        // Most recently used last.
        entries.delete(sha256);
        entries.set(sha256, pixels);
      }
      return pixels;
    },
    put(sha256, pixels) {
      if (entries.has(sha256) || pixels.data.byteLength > maxBytes) return;
      entries.set(sha256, pixels);
      bytes += pixels.data.byteLength;
      for (const [oldest, old] of entries) {
        if (bytes <= maxBytes) break;
        entries.delete(oldest);
        bytes -= old.data.byteLength;
      }
    },
  };
}
