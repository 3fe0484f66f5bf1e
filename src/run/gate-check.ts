/**
 * Applies a step's quality gates (plan/quality-gates.ts) to its result: the text, and each picture from
 * one small decode (image/pixel-stats.ts).
 */
import { type PixelStats, pixelStats } from '../image/index.js';
import { type GateFailure, needsPixels, type QualityGates } from '../plan/quality-gates.js';

/** What a step produced, as the gates see it. */
export interface GateSubject {
  /** Files of the result (paths in the cache). */
  images: readonly string[];
  /** What was measured of them before (from the cache record), in the same order: not decoded again. */
  stats?: readonly PixelStats[];
  text?: string;
  /** For upscalers: the input picture's size and the factor asked for (when the input says one). */
  upscaleOf?: { width: number; height: number; factor: number | undefined };
}

/** The first gate the result fails, or undefined when it passes all of them. */
export async function checkResult(
  gates: QualityGates,
  subject: GateSubject,
): Promise<GateFailure | undefined> {
  if (gates.text !== undefined) {
    const chars = (subject.text ?? '').replace(/\s+/g, '').length;
    if (chars < gates.text.minChars) {
      return {
        gate: 'text',
        reason:
          chars === 0
            ? 'the model returned an empty text'
            : `the text has ${chars} characters, fewer than checks.text.min_chars (${gates.text.minChars})`,
      };
    }
  }
  if (!needsPixels(gates)) return undefined;
  const many = subject.images.length > 1;
  for (const [index, image] of subject.images.entries()) {
    const which = many ? `picture ${index + 1} of ${subject.images.length}` : 'the picture';
    const stats = subject.stats?.[index] ?? (await pixelStats(image));
    if (gates.size !== undefined && subject.upscaleOf !== undefined) {
      const failure = checkSize(which, stats, subject.upscaleOf);
      if (failure !== undefined) return failure;
    }
    if (gates.blank !== undefined && stats.maxStdev < gates.blank.minStdev) {
      const what = stats.opaqueShare === 0 ? 'fully transparent' : `all ${stats.meanColour}`;
      return { gate: 'blank', reason: `${which} is blank (${what}, spread ${stats.maxStdev.toFixed(1)})` };
    }
    if (gates.alpha !== undefined) {
      const share = stats.opaqueShare;
      const percent = `${(share * 100).toFixed(1)} % of its pixels opaque`;
      if (share < gates.alpha.min) {
        return { gate: 'alpha', reason: `the cut-out keeps almost nothing (${percent})` };
      }
      if (share > gates.alpha.max) {
        const what = share === 1 ? 'no transparency at all' : percent;
        return { gate: 'alpha', reason: `the cut-out keeps almost everything (${what})` };
      }
    }
  }
  return undefined;
}

function checkSize(
  which: string,
  stats: { width: number; height: number },
  source: NonNullable<GateSubject['upscaleOf']>,
): GateFailure | undefined {
  const got = `${stats.width}×${stats.height}`;
  if (source.factor === undefined) {
    if (stats.width > source.width && stats.height > source.height) return undefined;
    return {
      gate: 'size',
      reason: `${which} is ${got}, not larger than its ${source.width}×${source.height} input`,
    };
  }
  const width = Math.round(source.width * source.factor);
  const height = Math.round(source.height * source.factor);
  // Models round odd sides either way: one pixel (and a 1 % margin for big pictures) is not an error.
  const near = (value: number, target: number) => Math.abs(value - target) <= Math.max(1, target * 0.01);
  if (near(stats.width, width) && near(stats.height, height)) return undefined;
  return {
    gate: 'size',
    reason: `${which} is ${got}, expected ${width}×${height} (${source.width}×${source.height} × ${source.factor})`,
  };
}

/** The upscale factor an input asks for (`scale: 4`, `upscale_factor: "2x"` …), when it names one. */
export function upscaleFactor(input: Readonly<Record<string, unknown>>): number | undefined {
  for (const name of ['scale', 'upscale_factor', 'scale_factor', 'factor']) {
    const value = input[name];
    const factor =
      typeof value === 'number' ? value : typeof value === 'string' ? Number.parseFloat(value) : NaN;
    if (Number.isFinite(factor) && factor > 0) return factor;
  }
  return undefined;
}
