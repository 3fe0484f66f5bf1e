/**
 * The backdrop colour of a product shot, estimated from the image border: a smooth quadratic surface per
 * channel (so plain backdrops, gradients and vignettes all fit), fitted to the border pixels that look like
 * backdrop (the subject may touch the border; those pixels are rejected as outliers).
 */
import type { RawImage } from '../../image/index.js';

/** Terms of the surface: 1, u, v, uv, u², v² with u, v in [-0.5, 0.5] across the image. */
const TERMS = 6;

export interface BackgroundModel {
  /** 3 channels × 6 coefficients. */
  coefficients: Float64Array;
  /** Typical distance of backdrop pixels from the model (noise, grain, compression). */
  noise: number;
  width: number;
  height: number;
}

interface Samples {
  u: Float64Array;
  v: Float64Array;
  rgb: Float64Array;
  count: number;
}

/** Pixels of a ring along the border (thickness ~1 % of the short side), skipping transparent ones. */
function borderSamples(raw: RawImage): Samples {
  const { data, width, height } = raw;
  const ring = Math.max(1, Math.min(8, Math.round(Math.min(width, height) * 0.01)));
  const step = Math.max(1, Math.floor((2 * (width + height)) / 4000));
  const u: number[] = [];
  const v: number[] = [];
  const rgb: number[] = [];
  const add = (x: number, y: number): void => {
    const i = (y * width + x) * 4;
    if ((data[i + 3] ?? 0) < 128) return;
    u.push(width > 1 ? x / (width - 1) - 0.5 : 0);
    v.push(height > 1 ? y / (height - 1) - 0.5 : 0);
    rgb.push(data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0);
  };
  for (let d = 0; d < ring; d++) {
    for (let x = 0; x < width; x += step) {
      add(x, Math.min(d, height - 1));
      add(x, Math.max(height - 1 - d, 0));
    }
    for (let y = ring; y < height - ring; y += step) {
      add(Math.min(d, width - 1), y);
      add(Math.max(width - 1 - d, 0), y);
    }
  }
  return { u: Float64Array.from(u), v: Float64Array.from(v), rgb: Float64Array.from(rgb), count: u.length };
}

function median(values: Float64Array | number[]): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const basis = (u: number, v: number): number[] => [1, u, v, u * v, u * u, v * v];

/** Least squares over the selected samples; undefined when the system is degenerate. */
function fitSurface(samples: Samples, keep: Uint8Array): Float64Array | undefined {
  const n = TERMS;
  const ata = new Float64Array(n * n);
  const atb = new Float64Array(n * 3);
  let used = 0;
  for (let s = 0; s < samples.count; s++) {
    if (!keep[s]) continue;
    used++;
    const b = basis(samples.u[s] ?? 0, samples.v[s] ?? 0);
    for (let i = 0; i < n; i++) {
      const bi = b[i] ?? 0;
      for (let j = 0; j < n; j++) ata[i * n + j] = (ata[i * n + j] ?? 0) + bi * (b[j] ?? 0);
      for (let c = 0; c < 3; c++) atb[i * 3 + c] = (atb[i * 3 + c] ?? 0) + bi * (samples.rgb[s * 3 + c] ?? 0);
    }
  }
  if (used < 4 * n) return undefined;
  for (let i = 0; i < n; i++) ata[i * n + i] = (ata[i * n + i] ?? 0) + 1e-9 * used;
  return solve(ata, atb, n);
}

/** Gaussian elimination with partial pivoting of A·X = B, B with 3 columns; coefficients channel-major. */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array | undefined {
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) {
      if (Math.abs(a[row * n + col] ?? 0) > Math.abs(a[pivot * n + col] ?? 0)) pivot = row;
    }
    const p = a[pivot * n + col] ?? 0;
    if (Math.abs(p) < 1e-12) return undefined;
    for (let k = 0; k < n; k++)
      [a[col * n + k], a[pivot * n + k]] = [a[pivot * n + k] ?? 0, a[col * n + k] ?? 0];
    for (let c = 0; c < 3; c++)
      [b[col * 3 + c], b[pivot * 3 + c]] = [b[pivot * 3 + c] ?? 0, b[col * 3 + c] ?? 0];
    for (let row = 0; row < n; row++) {
      if (row === col) continue;
      const f = (a[row * n + col] ?? 0) / p;
      if (f === 0) continue;
      for (let k = col; k < n; k++) a[row * n + k] = (a[row * n + k] ?? 0) - f * (a[col * n + k] ?? 0);
      for (let c = 0; c < 3; c++) b[row * 3 + c] = (b[row * 3 + c] ?? 0) - f * (b[col * 3 + c] ?? 0);
    }
  }
  const x = new Float64Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) x[c * n + i] = (b[i * 3 + c] ?? 0) / (a[i * n + i] ?? 1);
  }
  return x;
}

/** The model's colour at (u, v) for channel c. */
export function modelAt(model: BackgroundModel, c: number, u: number, v: number): number {
  const k = model.coefficients;
  const o = c * TERMS;
  return (
    (k[o] ?? 0) +
    (k[o + 1] ?? 0) * u +
    (k[o + 2] ?? 0) * v +
    (k[o + 3] ?? 0) * u * v +
    (k[o + 4] ?? 0) * u * u +
    (k[o + 5] ?? 0) * v * v
  );
}

function residuals(samples: Samples, model: BackgroundModel): Float64Array {
  const out = new Float64Array(samples.count);
  for (let s = 0; s < samples.count; s++) {
    let sum = 0;
    for (let c = 0; c < 3; c++) {
      const d = (samples.rgb[s * 3 + c] ?? 0) - modelAt(model, c, samples.u[s] ?? 0, samples.v[s] ?? 0);
      sum += d * d;
    }
    out[s] = Math.sqrt(sum);
  }
  return out;
}

function constantModel(samples: Samples, width: number, height: number): BackgroundModel {
  const coefficients = new Float64Array(3 * TERMS);
  for (let c = 0; c < 3; c++) {
    const channel = new Float64Array(samples.count);
    for (let s = 0; s < samples.count; s++) channel[s] = samples.rgb[s * 3 + c] ?? 0;
    coefficients[c * TERMS] = median(channel);
  }
  return { coefficients, noise: 0, width, height };
}

/**
 * Fits the backdrop: start from the border's median colour, keep the border pixels close to it, fit the
 * surface, then refit once on the pixels close to that surface.
 */
export function estimateBackground(raw: RawImage): BackgroundModel {
  const { width, height } = raw;
  const samples = borderSamples(raw);
  let model = constantModel(samples, width, height);
  for (let round = 0; round < 3; round++) {
    const distance = residuals(samples, model);
    const limit = Math.max(12, 3 * median(distance));
    const keep = new Uint8Array(samples.count);
    for (let s = 0; s < samples.count; s++) keep[s] = (distance[s] ?? 0) <= limit ? 1 : 0;
    const coefficients = fitSurface(samples, keep);
    if (!coefficients) break;
    model = { coefficients, noise: 0, width, height };
  }
  const distance = residuals(samples, model);
  const limit = Math.max(12, 3 * median(distance));
  return { ...model, noise: median(Array.from(distance).filter((d) => d <= limit)) };
}
