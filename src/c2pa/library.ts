/**
 * The C2PA library (`@contentauth/c2pa-wasm`, an optional dependency), loaded only when signing or reading
 * C2PA is asked for. It is built for browsers: it reads its input through `Blob.slice` and
 * `FileReaderSync`, so the input is handed over as an in-memory `BytesBlob`, and a `FileReaderSync` that
 * reads only those is installed on `globalThis` when the runtime has none (Node has none).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';

export type C2paWasm = typeof import('@contentauth/c2pa-wasm');

export const C2PA_PACKAGE = '@contentauth/c2pa-wasm';

/** The bytes of an asset, shaped like the part of `Blob` the library uses. */
export class BytesBlob {
  constructor(readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  slice(start = 0, end = this.bytes.length): BytesBlob {
    return new BytesBlob(this.bytes.subarray(start, end));
  }
}

class BytesBlobReader {
  readAsArrayBuffer(blob: unknown): ArrayBuffer {
    if (!(blob instanceof BytesBlob))
      throw new TypeError('FileReaderSync stand-in: only BytesBlob can be read');
    const { bytes } = blob;
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
}

// The wasm instance is the package's own singleton; this only keeps it from being compiled twice.
let loading: Promise<{ library: C2paWasm; version: string }> | undefined;

async function load(): Promise<{ library: C2paWasm; version: string }> {
  const require = createRequire(import.meta.url);
  let wasmPath: string;
  let version: string;
  try {
    wasmPath = require.resolve(`${C2PA_PACKAGE}/c2pa.wasm`);
    version = (require(`${C2PA_PACKAGE}/package.json`) as { version: string }).version;
  } catch {
    throw new UsageError(
      `C2PA signing needs the optional package ${C2PA_PACKAGE}, which is not installed: npm install ${C2PA_PACKAGE}@0.13.3`,
    );
  }
  const globals = globalThis as { FileReaderSync?: unknown };
  globals.FileReaderSync ??= BytesBlobReader;
  const library = await import('@contentauth/c2pa-wasm');
  library.initSync({ module: await readFile(wasmPath) });
  return { library, version };
}

/** The library and its version (part of a signed file's cache key); UsageError when it is not installed. */
export function loadC2paLibrary(): Promise<{ library: C2paWasm; version: string }> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
