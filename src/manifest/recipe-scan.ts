/**
 * The members of a manifest read without parsing it whole: its bytes are scanned once, in chunks, for
 * the structure only (strings, escapes, nesting), and just the top's `manifest_version` and the `recipes`
 * members a caller asks for are kept and parsed. A run of a recipe of 100,000 assets writes that recipe
 * anew, so its old entries (hundreds of MB of manifest) are skipped, never held. Structural bytes are
 * ASCII and every byte of a multi-byte UTF-8 character is ≥ 0x80, so bytes are scanned as they are.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { errnoOf } from '../store/write-errors.js';

const CHUNK_BYTES = 256 * 1024;

export interface ScannedManifest {
  /** `manifest_version` as written (undefined when absent). */
  version: unknown;
  /** Whether the top had a `recipes` object. */
  hasRecipes: boolean;
  /** The recipes `keep` asked for, parsed, by name. */
  recipes: Record<string, unknown>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const WHITESPACE: ReadonlySet<number> = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Scans `path`; undefined when there is no file or it is not a JSON object of the expected shape (a
 * caller treats that as no manifest). Only the parts kept are checked as JSON.
 */
export async function scanManifest(
  path: string,
  keep: (recipe: string) => boolean,
  /** For tests: the size of the chunks read. */
  chunkBytes = CHUNK_BYTES,
): Promise<ScannedManifest | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'EISDIR') return undefined;
    throw error;
  }
  try {
    const scanner = createScanner(keep);
    const buffer = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      if (!scanner.feed(buffer.subarray(0, bytesRead))) return undefined;
    }
    return scanner.end();
  } finally {
    await handle.close();
  }
}

interface Scanner {
  /** False once the text is found not to be of the shape (the rest need not be read). */
  feed(chunk: Buffer): boolean;
  end(): ScannedManifest | undefined;
}

function createScanner(keep: (recipe: string) => boolean): Scanner {
  /** Open containers, innermost last: true for an object. */
  const stack: boolean[] = [];
  let inString = false;
  let escaped = false;
  /** Bytes of the string being read, when it may be a key of the top or of `recipes`. */
  let keyBytes: number[] | undefined;
  /** The last key read at depth 1 (the top) and at depth 2 inside `recipes`, and whether `:` followed. */
  let topKey: string | undefined;
  let recipeKey: string | undefined;
  let expectKey = false;
  /** The value being captured (bytes after its `:`), with the depth of the object holding its member. */
  let capture: { parts: Buffer[]; depth: number; into: 'version' | string } | undefined;
  let captureStart = -1;
  let inRecipes = false;
  let broken = false;
  let closedTop = false;
  const result: ScannedManifest = { version: undefined, hasRecipes: false, recipes: {} };

  const finishCapture = (chunk: Buffer, end: number): void => {
    if (capture === undefined) return;
    capture.parts.push(Buffer.from(chunk.subarray(Math.max(captureStart, 0), end)));
    const text = Buffer.concat(capture.parts).toString('utf8');
    try {
      const value: unknown = JSON.parse(text);
      if (capture.into === 'version') result.version = value;
      // As JSON.parse makes members: own properties, also one named `__proto__`.
      else
        Object.defineProperty(result.recipes, capture.into.slice(1), {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    } catch {
      broken = true;
    }
    capture = undefined;
    captureStart = -1;
  };

  const startCapture = (into: 'version' | string, depth: number, at: number): void => {
    capture = { parts: [], depth, into };
    captureStart = at;
  };

  return {
    feed(chunk) {
      if (broken) return false;
      if (capture !== undefined) captureStart = 0;
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i] as number;
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) {
            inString = false;
            if (keyBytes !== undefined) {
              let key: string;
              try {
                key = JSON.parse(`"${Buffer.from(keyBytes).toString('utf8')}"`) as string;
              } catch {
                broken = true;
                return false;
              }
              keyBytes = undefined;
              if (stack.length === 1) topKey = key;
              else recipeKey = key;
            }
          }
          if (keyBytes !== undefined && inString) keyBytes.push(byte);
          continue;
        }
        if (closedTop && !WHITESPACE.has(byte)) {
          broken = true; // something after the top object: not JSON
          return false;
        }
        const depth = stack.length;
        if (byte === QUOTE) {
          inString = true;
          const atKeyDepth = depth === 1 || (depth === 2 && inRecipes);
          if (expectKey && atKeyDepth) keyBytes = [];
          expectKey = false;
          continue;
        }
        if (byte === COLON) {
          if (depth === 1 && topKey !== undefined) {
            if (topKey === 'manifest_version') startCapture('version', 1, i + 1);
          } else if (depth === 2 && inRecipes && recipeKey !== undefined && keep(recipeKey)) {
            startCapture(`:${recipeKey}`, 2, i + 1);
          }
          continue;
        }
        if (byte === COMMA || byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
          if (capture !== undefined && depth === capture.depth) finishCapture(chunk, i);
          if (broken) return false;
        }
        if (byte === COMMA) {
          expectKey = stack[depth - 1] === true;
          if (depth === 1) topKey = undefined;
          if (depth === 2 && inRecipes) recipeKey = undefined;
        } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
          if (closedTop || (depth === 0 && byte !== OPEN_OBJECT)) {
            broken = true;
            return false;
          }
          const object = byte === OPEN_OBJECT;
          if (depth === 1 && topKey === 'recipes' && object) {
            inRecipes = true;
            result.hasRecipes = true;
          }
          stack.push(object);
          expectKey = object;
        } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
          if (stack.pop() !== (byte === CLOSE_OBJECT)) {
            broken = true;
            return false;
          }
          if (stack.length === 1 && inRecipes) inRecipes = false;
          if (stack.length === 0) closedTop = true;
          expectKey = false;
        }
      }
      // A copy: the caller reads the next chunk into the same buffer.
      if (capture !== undefined) capture.parts.push(Buffer.from(chunk.subarray(captureStart)));
      return true;
    },
    end() {
      if (broken || !closedTop || inString) return undefined;
      return result;
    },
  };
}
