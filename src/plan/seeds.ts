/** Deterministic seeds for model steps that were given none: the same recipe always sends the same seed. */
import { createHash } from 'node:crypto';

export function deriveSeed(parts: readonly string[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  // 31 bits: every model's seed field accepts it.
  return digest.readUInt32BE(0) & 0x7fffffff;
}
