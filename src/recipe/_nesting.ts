/**
 * Nesting limits, checked without recursion: on the YAML syntax tree before it is composed (the composer,
 * the schema check and every later pass recurse, and a deep enough document overflows the stack), and on
 * the data after aliases were expanded.
 */
import type { CST } from 'yaml';
import type { PathSegment } from './_paths.js';

/** Collections (mappings and lists) a recipe may nest; real recipes use fewer than ten. */
export const MAX_NESTING = 32;

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/** Offset of the first (in the text) collection nested deeper than `limit` in the syntax tree, or undefined. */
export function tooDeepInSyntax(tokens: readonly CST.Token[], limit = MAX_NESTING): number | undefined {
  const stack: Array<[unknown, number]> = tokens.map((token) => [token, 0]);
  let first: number | undefined;
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    let inner = depth;
    const type = (node as { type?: unknown }).type;
    if (typeof type === 'string' && COLLECTIONS.has(type)) {
      inner = depth + 1;
      if (inner > limit) {
        const { offset } = node as { offset: number };
        if (first === undefined || offset < first) first = offset;
        continue;
      }
    }
    for (const child of Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, inner]);
    }
  }
  return first;
}

/** The path of the first value nested deeper than `limit` in plain data (aliases expanded), or undefined. */
export function tooDeepInData(data: unknown, limit = MAX_NESTING): PathSegment[] | undefined {
  const stack: Array<[unknown, PathSegment[]]> = [[data, []]];
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [unknown, PathSegment[]];
    if (typeof node !== 'object' || node === null) continue;
    if (path.length >= limit) return path;
    const entries: Array<[PathSegment, unknown]> = Array.isArray(node)
      ? node.map((item, index) => [index, item])
      : Object.entries(node);
    for (const [key, value] of entries) stack.push([value, [...path, key]]);
  }
  return undefined;
}

export function nestingMessage(limit = MAX_NESTING): string {
  return `nested more than ${limit} levels deep; recipes need only a few levels (flatten this data)`;
}
