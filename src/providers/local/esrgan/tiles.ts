/**
 * Tiling for the super-resolution network: the picture is cut into cores of at most `core` pixels, each
 * run with a `margin` of real neighbouring pixels around it, and only the core of each result is kept. A
 * margin at least the network's receptive radius (ESRGAN-slim: 10 input pixels) means every kept pixel saw
 * exactly what it would have seen in one pass over the whole picture — no seams, memory bounded by the
 * tile. Pure functions on interleaved RGB bytes; no TensorFlow here.
 */

export interface Tile {
  /** The core: the part of the input this tile is responsible for. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** The window actually run: the core plus the margin, clipped to the picture. */
  windowX: number;
  windowY: number;
  windowWidth: number;
  windowHeight: number;
}

export interface TileOptions {
  /** Largest core side, in input pixels. */
  core: number;
  /** Pixels of context on each side of a core (fewer at the picture's edge). */
  margin: number;
}

/** Receptive radius of ESRGAN-slim (x2) in input pixels, rounded up: its 3×3/5×5 convolutions in a chain. */
export const RECEPTIVE_RADIUS = 10;

export const DEFAULT_TILES: TileOptions = { core: 128, margin: RECEPTIVE_RADIUS };

/** Splits `length` into `count` near-equal parts (the first ones one pixel longer). */
function spans(length: number, core: number): Array<{ start: number; size: number }> {
  const count = Math.max(1, Math.ceil(length / core));
  const base = Math.floor(length / count);
  const longer = length - base * count;
  const out: Array<{ start: number; size: number }> = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const size = base + (i < longer ? 1 : 0);
    out.push({ start, size });
    start += size;
  }
  return out;
}

/** The tiles covering a picture, row by row; their cores cover every pixel exactly once. */
export function planTiles(width: number, height: number, options: TileOptions = DEFAULT_TILES): Tile[] {
  if (!(options.core >= 1 && options.margin >= 0)) {
    throw new RangeError(`tile core must be ≥ 1 and margin ≥ 0, got ${options.core}, ${options.margin}`);
  }
  const tiles: Tile[] = [];
  for (const row of spans(height, options.core)) {
    for (const column of spans(width, options.core)) {
      const windowX = Math.max(0, column.start - options.margin);
      const windowY = Math.max(0, row.start - options.margin);
      const right = Math.min(width, column.start + column.size + options.margin);
      const bottom = Math.min(height, row.start + row.size + options.margin);
      tiles.push({
        x: column.start,
        y: row.start,
        width: column.size,
        height: row.size,
        windowX,
        windowY,
        windowWidth: right - windowX,
        windowHeight: bottom - windowY,
      });
    }
  }
  return tiles;
}

/** The tile's window cut out of an RGB picture, as its own RGB buffer. */
export function cutWindow(rgb: Uint8Array, width: number, tile: Tile): Uint8Array {
  const out = new Uint8Array(tile.windowWidth * tile.windowHeight * 3);
  const rowBytes = tile.windowWidth * 3;
  for (let y = 0; y < tile.windowHeight; y++) {
    const from = ((tile.windowY + y) * width + tile.windowX) * 3;
    out.set(rgb.subarray(from, from + rowBytes), y * rowBytes);
  }
  return out;
}

/**
 * Copies the core of a tile's result (its window scaled by `scale`) into the output picture, which is
 * `scale` times the input's width.
 */
export function placeCore(
  output: Uint8Array,
  outputWidth: number,
  result: Uint8Array,
  tile: Tile,
  scale: number,
): void {
  const resultWidth = tile.windowWidth * scale;
  const left = (tile.x - tile.windowX) * scale;
  const top = (tile.y - tile.windowY) * scale;
  const rowBytes = tile.width * scale * 3;
  for (let y = 0; y < tile.height * scale; y++) {
    const from = ((top + y) * resultWidth + left) * 3;
    const to = ((tile.y * scale + y) * outputWidth + tile.x * scale) * 3;
    output.set(result.subarray(from, from + rowBytes), to);
  }
}
