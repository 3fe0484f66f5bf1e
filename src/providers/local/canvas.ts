/**
 * A tiny RGBA canvas in plain memory for the placeholder pictures: a plain fill, an anti-aliased rounded
 * rectangle, bitmap text. Only + − × ÷ and sqrt on numbers, so the pixels are the same everywhere.
 */
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows } from './bitmap-font.js';

export type Rgb = readonly [number, number, number];

export interface Canvas {
  /** RGBA, 8 bits per channel, rows top to bottom; every pixel opaque. */
  data: Buffer;
  width: number;
  height: number;
}

export function createCanvas(width: number, height: number): Canvas {
  return { data: Buffer.alloc(width * height * 4), width, height };
}

const mix = (a: number, b: number, t: number): number => a + (b - a) * t;

/** Fills the whole canvas with one opaque colour. */
export function fillCanvas(canvas: Canvas, colour: Rgb): void {
  canvas.data.fill(Buffer.from([colour[0], colour[1], colour[2], 255]));
}

export interface RoundedRect {
  x: number;
  y: number;
  width: number;
  height: number;
  radius: number;
}

/**
 * Paints a rounded rectangle shaded from `top` to `bottom`, with a one-pixel anti-aliased edge
 * (coverage from the signed distance to the outline, measured at pixel centres).
 */
export function fillRoundedRect(canvas: Canvas, rect: RoundedRect, top: Rgb, bottom: Rgb): void {
  const { data, width } = canvas;
  const halfW = rect.width / 2;
  const halfH = rect.height / 2;
  const cx = rect.x + halfW;
  const cy = rect.y + halfH;
  const r = Math.min(rect.radius, halfW, halfH);
  const x0 = Math.max(0, Math.floor(rect.x));
  const x1 = Math.min(canvas.width, Math.ceil(rect.x + rect.width));
  const y0 = Math.max(0, Math.floor(rect.y));
  const y1 = Math.min(canvas.height, Math.ceil(rect.y + rect.height));
  for (let y = y0; y < y1; y++) {
    const t = (y - rect.y) / rect.height;
    const colour = [mix(top[0], bottom[0], t), mix(top[1], bottom[1], t), mix(top[2], bottom[2], t)];
    const qy = Math.abs(y + 0.5 - cy) - (halfH - r);
    for (let x = x0; x < x1; x++) {
      const qx = Math.abs(x + 0.5 - cx) - (halfW - r);
      const ox = Math.max(qx, 0);
      const oy = Math.max(qy, 0);
      const distance = Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(qx, qy), 0) - r;
      const coverage = Math.min(1, Math.max(0, 0.5 - distance));
      if (coverage === 0) continue;
      const i = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) {
        data[i + c] = Math.round(mix(data[i + c] ?? 0, colour[c] ?? 0, coverage));
      }
    }
  }
}

/** Draws one line of (drawable ASCII) text with its top-left corner at x, y; each font cell is scale² pixels. */
export function drawText(
  canvas: Canvas,
  text: string,
  x: number,
  y: number,
  scale: number,
  colour: Rgb,
): void {
  const { data, width, height } = canvas;
  let penX = x;
  for (const char of text) {
    const rows = glyphRows(char);
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      const bits = rows[row] ?? 0;
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if ((bits & (1 << (GLYPH_WIDTH - 1 - col))) === 0) continue;
        const left = penX + col * scale;
        const topY = y + row * scale;
        for (let py = Math.max(0, topY); py < Math.min(height, topY + scale); py++) {
          for (let px = Math.max(0, left); px < Math.min(width, left + scale); px++) {
            const i = (py * width + px) * 4;
            data[i] = colour[0];
            data[i + 1] = colour[1];
            data[i + 2] = colour[2];
          }
        }
      }
    }
    penX += (GLYPH_WIDTH + 1) * scale;
  }
}

/** Width in pixels of a line of `chars` characters at `scale` (no trailing gap). */
export function textWidth(chars: number, scale: number): number {
  return chars > 0 ? (chars * (GLYPH_WIDTH + 1) - 1) * scale : 0;
}

/** HSL (hue in degrees, saturation and lightness 0–1) to 8-bit RGB. */
export function hsl(hue: number, saturation: number, lightness: number): Rgb {
  const h = (((hue % 360) + 360) % 360) / 60;
  const chroma = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const x = chroma * (1 - Math.abs((h % 2) - 1));
  const m = lightness - chroma / 2;
  const [r, g, b] =
    h < 1
      ? [chroma, x, 0]
      : h < 2
        ? [x, chroma, 0]
        : h < 3
          ? [0, chroma, x]
          : h < 4
            ? [0, x, chroma]
            : h < 5
              ? [x, 0, chroma]
              : [chroma, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}
