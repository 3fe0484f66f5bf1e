/** Collects recipe problems for one file: located, de-duplicated, sorted by position. */
import type { RecipeProblem } from '../errors.js';
import { formatPath, type PathSegment } from './_paths.js';

export type Anchor = 'value' | 'key';

/** Finds the line and column of a recipe path (falling back to the nearest ancestor that exists). */
export type Locator = (segments: readonly PathSegment[], at: Anchor) => { line: number; column: number };

export interface AddOptions {
  /** Point at the key instead of the value (unknown keys, duplicate keys). */
  at?: Anchor;
  /** Problems with the same dedupe key are reported once (default: path + message). */
  dedupe?: string;
}

export interface ProblemSink {
  add(segments: readonly PathSegment[], message: string, options?: AddOptions): void;
  addAt(line: number, column: number, path: string, message: string): void;
  /** Whether a problem was reported at `segments` or below it. */
  hasAtOrBelow(segments: readonly PathSegment[]): boolean;
  readonly count: number;
  list(): RecipeProblem[];
}

export function createProblemSink(file: string, locate: Locator): ProblemSink {
  const problems: RecipeProblem[] = [];
  const seen = new Set<string>();
  const push = (problem: RecipeProblem, dedupe: string): void => {
    if (seen.has(dedupe)) return;
    seen.add(dedupe);
    problems.push(problem);
  };
  return {
    add(segments, message, options = {}) {
      const path = formatPath(segments);
      const { line, column } = locate(segments, options.at ?? 'value');
      push({ location: { file, line, column }, path, message }, options.dedupe ?? `${path}\n${message}`);
    },
    addAt(line, column, path, message) {
      push({ location: { file, line, column }, path, message }, `${line}:${column}\n${path}\n${message}`);
    },
    hasAtOrBelow(segments) {
      const path = formatPath(segments);
      return problems.some(
        (p) =>
          path === '' || p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`),
      );
    },
    get count() {
      return problems.length;
    },
    list() {
      return problems
        .map((problem, index) => ({ problem, index }))
        .sort(
          (a, b) =>
            a.problem.location.line - b.problem.location.line ||
            a.problem.location.column - b.problem.location.column ||
            a.index - b.index,
        )
        .map(({ problem }) => problem);
    },
  };
}
