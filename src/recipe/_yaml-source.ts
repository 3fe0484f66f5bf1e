/**
 * Pass 0: YAML text → plain data plus a map from recipe paths to source positions. Refuses oversized
 * text, alias bombs and documents nested too deep (before composing them: that recurses), reports YAML
 * syntax errors with the YAML library's own positions and duplicate keys at the second occurrence.
 */
import {
  Composer,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
  visit,
  YAMLParseError,
} from 'yaml';
import { MAX_NESTING, nestingMessage, tooDeepInData, tooDeepInSyntax } from './_nesting.js';
import { formatPath, type PathSegment } from './_paths.js';
import { createProblemSink, type Locator, type ProblemSink } from './_problems.js';

/** Recipes larger than this are refused before parsing. */
export const MAX_RECIPE_BYTES = 1024 * 1024;
/** Aliases a recipe may expand (the `yaml` package's guard against billion-laughs documents). */
export const MAX_ALIAS_COUNT = 100;
const MAX_POSITIONS = 200_000;

export interface YamlSource {
  /** The parsed data, or undefined when the text could not be parsed at all. */
  data: unknown;
  problems: ProblemSink;
  locate: Locator;
  /** From now on, locate the paths `redirect` maps where it says (a profile's overrides, `_profiles.ts`). */
  redirect(map: (segments: readonly PathSegment[]) => readonly PathSegment[] | undefined): void;
}

interface Position {
  value: number;
  key?: number;
}

export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const positions = new Map<string, Position>();
  let redirect: ((segments: readonly PathSegment[]) => readonly PathSegment[] | undefined) | undefined;
  const locate: Locator = (requested, at) => {
    const segments = redirect?.(requested) ?? requested;
    for (let n = segments.length; n >= 0; n--) {
      const position = positions.get(formatPath(segments.slice(0, n)));
      if (position === undefined) continue;
      const offset =
        at === 'key' && n === segments.length ? (position.key ?? position.value) : position.value;
      const { line, col } = lineCounter.linePos(offset);
      return { line, column: col };
    }
    return { line: 1, column: 1 };
  };
  const problems = createProblemSink(file, locate);
  const setRedirect: YamlSource['redirect'] = (map) => {
    redirect = map;
  };

  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_RECIPE_BYTES) {
    problems.addAt(
      1,
      1,
      '',
      `the file is ${formatSize(bytes)}; recipes may be at most 1 MiB (split it into several recipes)`,
    );
    return { data: undefined, problems, locate, redirect: setRedirect };
  }

  const doc = composeDocument(text, lineCounter, problems);
  if (doc === undefined) return { data: undefined, problems, locate, redirect: setRedirect };
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const where = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
      const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      problems.addAt(where.line, where.col, '', `YAML syntax error: ${message}`);
    }
    return { data: undefined, problems, locate, redirect: setRedirect };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const alias = firstAliasOffset(doc);
    const { line, col } = lineCounter.linePos(alias);
    problems.addAt(
      line,
      col,
      '',
      `refused: the YAML aliases (*name) expand to too much data (more than ${MAX_ALIAS_COUNT} alias expansions, like a "billion laughs" document)`,
    );
    return { data: undefined, problems, locate, redirect: setRedirect };
  }

  const circular = recordPositions(doc, positions, problems, lineCounter);
  if (circular) return { data: undefined, problems, locate, redirect: setRedirect };
  // Aliases can stack shallow structures into a deep one.
  const deep = tooDeepInData(data);
  if (deep !== undefined) {
    problems.add(deep, nestingMessage());
    return { data: undefined, problems, locate, redirect: setRedirect };
  }
  return { data, problems, locate, redirect: setRedirect };
}

/**
 * What `parseDocument` does, with the nesting checked on the syntax tree (built without recursion) before
 * the composer (which recurses) sees it. Undefined when it is too deep (reported).
 */
function composeDocument(
  text: string,
  lineCounter: LineCounter,
  problems: ProblemSink,
): Document.Parsed | undefined {
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const deep = tooDeepInSyntax(tokens, MAX_NESTING);
  if (deep !== undefined) {
    const { line, col } = lineCounter.linePos(deep);
    problems.addAt(line, col, '', nestingMessage());
    return undefined;
  }
  const composer = new Composer({ uniqueKeys: false });
  let doc: Document.Parsed | undefined;
  for (const composed of composer.compose(tokens, true, text.length)) {
    if (doc === undefined) doc = composed;
    else {
      const range = composed.range.slice(0, 2) as [number, number];
      const message = 'a recipe is one YAML document, this file holds several (remove the --- line)';
      doc.errors.push(new YAMLParseError(range, 'MULTIPLE_DOCS', message));
      break;
    }
  }
  return doc;
}

/** Walks the document, filling `positions`; reports duplicate keys. Returns true for a circular alias. */
function recordPositions(
  doc: Document,
  positions: Map<string, Position>,
  problems: ProblemSink,
  lineCounter: LineCounter,
): boolean {
  const stack = new Set<Node>();
  let circular = false;
  const walk = (node: unknown, segments: PathSegment[]): void => {
    if (positions.size > MAX_POSITIONS || circular) return;
    let target = node;
    if (isAlias(node)) {
      target = node.resolve(doc);
      if (target !== undefined && stack.has(target as Node)) {
        circular = true;
        problems.add(
          segments,
          'an alias (*name) refers to the structure that contains it; recipes cannot be recursive',
        );
        return;
      }
    }
    if (!isMap(target) && !isSeq(target)) return;
    stack.add(target);
    if (isMap(target)) {
      const seen = new Map<string, number>();
      for (const pair of target.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyOffset = (pair.key as Node | null)?.range?.[0] ?? 0;
        const valueOffset = (pair.value as Node | null)?.range?.[0] ?? keyOffset;
        const child = [...segments, key];
        positions.set(formatPath(child), { key: keyOffset, value: valueOffset });
        const first = seen.get(key);
        if (first !== undefined) {
          const { line, col } = lineCounter.linePos(first);
          problems.add(
            child,
            `duplicate key "${key}" (first at line ${line}, column ${col}); keep only one`,
            {
              at: 'key',
            },
          );
        } else {
          seen.set(key, keyOffset);
        }
        walk(pair.value, child);
      }
    } else {
      target.items.forEach((item, index) => {
        const child = [...segments, index];
        const offset = (item as Node | null)?.range?.[0];
        if (offset !== undefined) positions.set(formatPath(child), { value: offset });
        walk(item, child);
      });
    }
    stack.delete(target);
  };
  const root = doc.contents;
  positions.set('', { value: root?.range?.[0] ?? 0 });
  walk(root, []);
  return circular;
}

/** Where the first alias sits (the bomb report points at it). */
function firstAliasOffset(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB`
    : `${Math.ceil(bytes / 1024)} KiB`;
}
