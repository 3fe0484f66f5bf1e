/**
 * A JSON object file read without parsing it whole: its bytes are scanned once, in chunks, for the
 * structure only (strings, escapes, nesting). The top-level members a caller names are kept, parsed; the
 * members of one top-level object are reported one by one — name and absolute byte places — each parsed
 * only when asked. Everything else is skipped unread. Structural bytes are ASCII and every byte of a
 * multi-byte UTF-8 character is ≥ 0x80, so bytes are scanned as they are. Used for the manifest's recipes
 * (manifest/recipe-scan.ts) and the lock's tasks (store/lock-index.ts).
 */
import type { FileHandle } from 'node:fs/promises';

const CHUNK_BYTES = 256 * 1024;

/** A member of the reported object, with absolute byte offsets in the file. */
export interface ScannedMember {
  name: string;
  /** Where its key's opening quote is. */
  keyStart: number;
  /** Its value's bytes, [start, end): after the `:` up to the `,` or `}` ending it (spaces included). */
  start: number;
  end: number;
  /** The value parsed, present only when `capture` asked for it. */
  value?: unknown;
}

export interface JsonScanOptions {
  /** Top-level members to keep, parsed (never the one whose members are reported). */
  capture?: (name: string) => boolean;
  /** The top-level object whose members are reported one by one. */
  members?: {
    of: string;
    /** Whether to parse a member's value; otherwise it is skipped unread (not checked as JSON). */
    capture?: (name: string) => boolean;
    onMember: (member: ScannedMember) => void;
  };
  /** For tests: the size of the chunks read. */
  chunkBytes?: number;
}

export interface JsonScan {
  /** The top-level members captured, by name, as own properties (`__proto__` too, as JSON.parse makes it). */
  top: Record<string, unknown>;
  /** Whether the top had `members.of` as an object. */
  hasMembers: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const WHITESPACE: ReadonlySet<number> = new Set([SPACE, 0x09, NEWLINE, 0x0d]);

/**
 * Scans the file open at `handle` from its current position; undefined when it is not a JSON object (as
 * far as its structure and the parts parsed show: only those are checked as JSON).
 */
export async function scanJson(handle: FileHandle, options: JsonScanOptions): Promise<JsonScan | undefined> {
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  const scanner = createScanner(options);
  const buffer = Buffer.allocUnsafe(chunkBytes);
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
    if (bytesRead === 0) break;
    if (!scanner.feed(buffer.subarray(0, bytesRead))) return undefined;
  }
  return scanner.end();
}

/** Bytes being collected across chunks: the copied parts, and where in the current chunk the rest starts. */
interface Pending {
  parts: Buffer[];
  from: number;
}

const textOf = (pending: Pending, chunk: Buffer, end: number): string => {
  pending.parts.push(chunk.subarray(Math.max(pending.from, 0), end));
  return Buffer.concat(pending.parts).toString('utf8');
};

/** As JSON.parse makes members: own properties, also one named `__proto__`. */
const defineMember = (into: Record<string, unknown>, name: string, value: unknown): void => {
  Object.defineProperty(into, name, { value, enumerable: true, writable: true, configurable: true });
};

interface Scanner {
  /** False once the text is found not to be a JSON object (the rest need not be read). */
  feed(chunk: Buffer): boolean;
  end(): JsonScan | undefined;
}

function createScanner(options: JsonScanOptions): Scanner {
  const membersOf = options.members?.of;
  const captureTop = (name: string): boolean => name !== membersOf && (options.capture?.(name) ?? false);
  const captureMember = options.members?.capture ?? (() => false);
  /** Open containers, innermost last: true for an object. */
  const stack: boolean[] = [];
  let inString = false;
  let escaped = false;
  /** Where the chunk being fed starts in the file. */
  let base = 0;
  /** The key string being read (at the top or in the reported object), and where its quote is. */
  let key: (Pending & { at: number }) | undefined;
  /** The last key read at the top, and in the reported object (with its quote's offset). */
  let topKey: string | undefined;
  let memberKey: { name: string; at: number } | undefined;
  let expectKey = false;
  /** The value being read after a `:` (a top member captured, or a member reported). */
  let value:
    | (Pending & { name: string; depth: 1 | 2; keyStart: number; start: number; parse: boolean })
    | undefined;
  let inMembers = false;
  let broken = false;
  let closedTop = false;
  const result: JsonScan = { top: {}, hasMembers: false };

  const finishValue = (chunk: Buffer, i: number): void => {
    if (value === undefined) return;
    const { name, depth, keyStart, start, parse } = value;
    let parsed: unknown;
    if (parse) {
      try {
        parsed = JSON.parse(textOf(value, chunk, i));
      } catch {
        broken = true;
        return;
      }
    }
    value = undefined;
    if (depth === 1) defineMember(result.top, name, parsed);
    else
      options.members?.onMember({
        name,
        keyStart,
        start,
        end: base + i,
        ...(parse ? { value: parsed } : {}),
      });
  };

  return {
    feed(chunk) {
      if (broken) return false;
      if (value !== undefined) value.from = 0;
      if (key !== undefined) key.from = 0;
      /** The next backslash at or after the place looked from (the chunk's length when there is none). */
      let backslash = -1;
      const nextOf = (byte: number, from: number): number => {
        const at = chunk.indexOf(byte, from);
        return at === -1 ? chunk.length : at;
      };
      for (let i = 0; i < chunk.length; i++) {
        if (inString) {
          if (escaped) {
            escaped = false;
            continue;
          }
          // Inside a string only `\` and `"` matter: skip to the first of them.
          if (backslash < i) backslash = nextOf(BACKSLASH, i);
          const quote = nextOf(QUOTE, i);
          if (backslash < quote) {
            i = backslash;
            escaped = true;
            continue;
          }
          i = quote;
          if (quote === chunk.length) break; // the string goes on in the next chunk
          inString = false;
          if (key !== undefined) {
            let name: string;
            try {
              name = JSON.parse(textOf(key, chunk, i + 1)) as string;
            } catch {
              broken = true;
              return false;
            }
            if (stack.length === 1) topKey = name;
            else memberKey = { name, at: key.at };
            key = undefined;
          }
          continue;
        }
        const byte = chunk[i] as number;
        if (byte === SPACE || byte === NEWLINE) continue; // the most common bytes of an indented file
        if (closedTop && !WHITESPACE.has(byte)) {
          broken = true; // something after the top object: not JSON
          return false;
        }
        const depth = stack.length;
        if (byte === QUOTE) {
          inString = true;
          const atKeyDepth = depth === 1 || (depth === 2 && inMembers);
          if (expectKey && atKeyDepth) key = { parts: [], from: i, at: base + i };
          expectKey = false;
          continue;
        }
        if (byte === COLON) {
          if (depth === 1 && topKey !== undefined) {
            if (captureTop(topKey))
              value = {
                parts: [],
                from: i + 1,
                name: topKey,
                depth: 1,
                keyStart: -1,
                start: -1,
                parse: true,
              };
          } else if (depth === 2 && inMembers && memberKey !== undefined) {
            const { name, at } = memberKey;
            const parse = captureMember(name);
            value = { parts: [], from: i + 1, name, depth: 2, keyStart: at, start: base + i + 1, parse };
          }
          continue;
        }
        if (byte === COMMA || byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
          if (value !== undefined && depth === value.depth) finishValue(chunk, i);
          if (broken) return false;
        }
        if (byte === COMMA) {
          expectKey = stack[depth - 1] === true;
          if (depth === 1) topKey = undefined;
          if (depth === 2 && inMembers) memberKey = undefined;
        } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
          if (depth === 0 && byte !== OPEN_OBJECT) {
            broken = true;
            return false;
          }
          const object = byte === OPEN_OBJECT;
          if (depth === 1 && topKey !== undefined && topKey === membersOf && object) {
            inMembers = true;
            result.hasMembers = true;
          }
          stack.push(object);
          expectKey = object;
        } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
          if (stack.pop() !== (byte === CLOSE_OBJECT)) {
            broken = true;
            return false;
          }
          if (stack.length === 1 && inMembers) inMembers = false;
          if (stack.length === 0) closedTop = true;
          expectKey = false;
        }
      }
      // Copies: the caller reads the next chunk into the same buffer.
      if (value?.parse === true) value.parts.push(Buffer.from(chunk.subarray(value.from)));
      if (key !== undefined) key.parts.push(Buffer.from(chunk.subarray(key.from)));
      base += chunk.length;
      return true;
    },
    end() {
      if (broken || !closedTop || inString) return undefined;
      return result;
    },
  };
}
