/**
 * A classical matting pass standing in for background-removal models: suited to product shots on plain
 * (or gently graded) backdrops.
 *
 * 1. Model the backdrop from the border (background-model.ts).
 * 2. Each pixel's colour distance to the backdrop, against thresholds that follow the measured noise.
 * 3. Flood from the border through backdrop-like pixels: only backdrop CONNECTED to the border becomes
 *    transparent; enclosed holes (text, highlights inside the subject) stay opaque.
 * 4. Drop tiny islands (noise specks).
 * 5. Along the outline only, alpha is the pixel's position between the backdrop colour and the nearby
 *    subject colour (a colour-line estimate), and the backdrop's share is taken out of the edge colours.
 */
import { blurChannel, type RawImage } from '../../image/index.js';
import { type BackgroundModel, estimateBackground, modelAt } from './background-model.js';

export interface MatteOptions {
  /** 0 keeps the soft matte; above 0, alpha becomes 0 or 255 at this fraction (851-labs' `threshold`). */
  threshold?: number;
  /** Keep the backdrop and remove the subject instead. */
  reverse?: boolean;
}

/** Per-pixel distance of the colour from the backdrop model. */
function backdropDistance(raw: RawImage, model: BackgroundModel): Float32Array {
  const { data, width, height } = raw;
  const out = new Float32Array(width * height);
  const k = model.coefficients;
  for (let y = 0; y < height; y++) {
    const v = height > 1 ? y / (height - 1) - 0.5 : 0;
    // Per row the surface is A + B·u + E·u² for each channel.
    const row = [0, 1, 2].map((c) => {
      const o = c * 6;
      return {
        a: (k[o] ?? 0) + (k[o + 2] ?? 0) * v + (k[o + 5] ?? 0) * v * v,
        b: (k[o + 1] ?? 0) + (k[o + 3] ?? 0) * v,
        e: k[o + 4] ?? 0,
      };
    });
    const [r, g, b] = row as [(typeof row)[0], (typeof row)[0], (typeof row)[0]];
    for (let x = 0; x < width; x++) {
      const u = width > 1 ? x / (width - 1) - 0.5 : 0;
      const i = y * width + x;
      const dr = (data[i * 4] ?? 0) - (r.a + u * (r.b + r.e * u));
      const dg = (data[i * 4 + 1] ?? 0) - (g.a + u * (g.b + g.e * u));
      const db = (data[i * 4 + 2] ?? 0) - (b.a + u * (b.b + b.e * u));
      out[i] = Math.sqrt(dr * dr + dg * dg + db * db);
    }
  }
  return out;
}

/** Marks pixels reachable from the border through pixels where `open` is set (4-connected). */
function floodFromBorder(open: Uint8Array, width: number, height: number): Uint8Array {
  const reached = new Uint8Array(width * height);
  const queue = new Int32Array(width * height);
  let head = 0;
  let tail = 0;
  const push = (i: number): void => {
    if (open[i] && !reached[i]) {
      reached[i] = 1;
      queue[tail++] = i;
    }
  };
  for (let x = 0; x < width; x++) {
    push(x);
    push((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    push(y * width);
    push(y * width + width - 1);
  }
  while (head < tail) {
    const i = queue[head++] ?? 0;
    const x = i % width;
    if (x > 0) push(i - 1);
    if (x < width - 1) push(i + 1);
    if (i >= width) push(i - width);
    if (i < (height - 1) * width) push(i + width);
  }
  return reached;
}

/** Clears foreground islands smaller than `minArea` pixels (8-connected) that float in the backdrop. */
function dropSpecks(foreground: Uint8Array, width: number, height: number, minArea: number): void {
  const seen = new Uint8Array(width * height);
  const queue = new Int32Array(width * height);
  for (let start = 0; start < foreground.length; start++) {
    if (!foreground[start] || seen[start]) continue;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    seen[start] = 1;
    while (head < tail) {
      const i = queue[head++] ?? 0;
      const x = i % width;
      const y = (i - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const j = ny * width + nx;
          if (foreground[j] && !seen[j]) {
            seen[j] = 1;
            queue[tail++] = j;
          }
        }
      }
    }
    if (tail < minArea) for (let q = 0; q < tail; q++) foreground[queue[q] ?? 0] = 0;
  }
}

const THIN_CONTRAST = 30;

/** Cuts the subject out of an RGBA image: the same size, a new alpha, edge colours freed of the backdrop. */
export async function removeBackground(raw: RawImage, options: MatteOptions = {}): Promise<RawImage> {
  const { width, height } = raw;
  const pixels = width * height;
  const model = estimateBackground(raw);
  const distance = backdropDistance(raw, model);
  const low = Math.max(12, 3 * model.noise);
  const high = low + Math.max(24, 3 * model.noise);

  // Backdrop = backdrop-like pixels connected to the border; everything else is subject.
  const backdropLike = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) backdropLike[i] = (distance[i] ?? 0) < (low + high) / 2 ? 1 : 0;
  const backdrop = floodFromBorder(backdropLike, width, height);
  const subject = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) subject[i] = backdrop[i] ? 0 : 255;
  dropSpecks(subject, width, height, Math.max(16, Math.round(pixels * 0.0002)));

  // The edge band: pixels within a few px of the subject's outline, on either side (where the blurred
  // mask is neither 0 nor 255). Only these get fractional alpha.
  const sigma = Math.max(1.5, Math.min(width, height) / 400);
  const blurred = await blurChannel(subject, width, height, sigma);
  // Far enough to reach solid subject pixels (outside the band) from anywhere in the band.
  const radius = Math.ceil(3 * sigma) + 2;
  const out = Buffer.from(raw.data);
  const edge: EdgeContext = { raw, model, subject, blurred, radius, out };
  for (let y = 0; y < height; y++) {
    const v = height > 1 ? y / (height - 1) - 0.5 : 0;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const m = blurred[i] ?? 0;
      let a = subject[i] ? 1 : 0;
      if (m > 3 && m < 252) {
        const u = width > 1 ? x / (width - 1) - 0.5 : 0;
        a = edgeAlpha(edge, i, u, v) ?? fallbackAlpha(distance[i] ?? 0, low, high, a);
      }
      out[i * 4 + 3] = Math.round(finish(a, options) * ((raw.data[i * 4 + 3] ?? 255) / 255) * 255);
    }
  }
  return { data: out, width, height, channels: 4 };
}

function finish(alpha: number, options: MatteOptions): number {
  let a = alpha < 0.1 ? 0 : alpha > 0.95 ? 1 : alpha;
  if ((options.threshold ?? 0) > 0) a = a >= (options.threshold ?? 0) ? 1 : 0;
  return options.reverse ? 1 - a : a;
}

/** Without a usable subject colour nearby: backdrop side clear, subject side by the distance ramp (≥ ½). */
function fallbackAlpha(distance: number, low: number, high: number, side: number): number {
  if (!side) return 0;
  return Math.max(0.5, Math.min(1, Math.max(0, (distance - low) / (high - low))));
}

interface EdgeContext {
  raw: RawImage;
  model: BackgroundModel;
  /** 255 where the pixel belongs to the subject. */
  subject: Uint8Array;
  /** The subject mask blurred: 255 deep inside the subject ("solid"), 0 far outside. */
  blurred: Uint8Array;
  radius: number;
  /** Output RGBA, whose colours this updates. */
  out: Buffer;
}

/**
 * Alpha of an edge pixel as its position between the backdrop colour B (the model) and the local subject
 * colour F (mean of solid subject pixels within `radius`): α = (P − B)·(F − B) / |F − B|². Writes the
 * pixel's subject colour, (P − (1 − α)·B) / α, into `out`. Undefined when F is unknown or too close to B.
 */
function edgeAlpha(edge: EdgeContext, i: number, u: number, v: number): number | undefined {
  const { raw, model, subject, blurred, radius, out } = edge;
  const { data, width, height } = raw;
  const x = i % width;
  const y = (i - x) / width;
  const f = [0, 0, 0];
  let count = 0;
  for (let yy = Math.max(0, y - radius); yy <= Math.min(height - 1, y + radius); yy++) {
    for (let xx = Math.max(0, x - radius); xx <= Math.min(width - 1, x + radius); xx++) {
      const j = yy * width + xx;
      if (!subject[j] || (blurred[j] ?? 0) < 252) continue;
      f[0] = (f[0] ?? 0) + (data[j * 4] ?? 0);
      f[1] = (f[1] ?? 0) + (data[j * 4 + 1] ?? 0);
      f[2] = (f[2] ?? 0) + (data[j * 4 + 2] ?? 0);
      count++;
    }
  }
  if (count === 0) return undefined;
  const b = [modelAt(model, 0, u, v), modelAt(model, 1, u, v), modelAt(model, 2, u, v)];
  let dot = 0;
  let norm = 0;
  for (let c = 0; c < 3; c++) {
    const fb = (f[c] ?? 0) / count - (b[c] ?? 0);
    dot += ((data[i * 4 + c] ?? 0) - (b[c] ?? 0)) * fb;
    norm += fb * fb;
  }
  if (norm < THIN_CONTRAST * THIN_CONTRAST) return undefined;
  const alpha = Math.min(1, Math.max(0, dot / norm));
  for (let c = 0; c < 3; c++) {
    const local = (f[c] ?? 0) / count;
    const unmixed = alpha >= 0.25 ? ((data[i * 4 + c] ?? 0) - (1 - alpha) * (b[c] ?? 0)) / alpha : local;
    out[i * 4 + c] = Math.min(255, Math.max(0, Math.round(unmixed)));
  }
  return alpha;
}
