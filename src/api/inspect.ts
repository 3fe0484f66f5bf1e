/**
 * `inspectImage`: what an image file says about itself — format, size, the provenance XMP it embeds and
 * its C2PA manifest (validated, when the optional C2PA library is installed).
 */
import { readFile, stat } from 'node:fs/promises';
import { type C2paSummary, readC2pa } from '../c2pa/read.js';
import { AssetgenError, UsageError } from '../errors.js';
import { readImageMetadata } from '../image/index.js';
import { type Provenance, parseProvenanceXmp } from '../provenance/xmp.js';

export interface ImageInspection {
  path: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  /** The XMP packet as stored, when the file has one. */
  xmp?: string;
  /** The IPTC digital source type and the assetgen record read from it. */
  provenance?: Provenance;
  /** The C2PA manifest's summary, when the file has one. */
  c2pa?: C2paSummary;
  /** Why the C2PA manifest could not be read (the optional library is not installed). */
  c2paNote?: string;
}

/** JUMBF's box type and the C2PA manifest store's label, as bytes: a cheap sign that a file has one. */
function looksSigned(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.includes('jumb') && buffer.includes('c2pa');
}

export async function inspectImage(path: string): Promise<ImageInspection> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${path}: ${error.code ?? error.message}`);
  });
  const metadata = await readImageMetadata(path).catch((error: unknown) => {
    throw new UsageError(error instanceof AssetgenError ? error.message : String(error));
  });
  const result: ImageInspection = {
    path,
    format: metadata.format,
    width: metadata.width,
    height: metadata.height,
    bytes: info.size,
  };
  if (metadata.xmp !== undefined) {
    result.xmp = metadata.xmp;
    result.provenance = parseProvenanceXmp(metadata.xmp);
  }
  // The library (9 MB of wasm) is loaded only for a file that looks like it has a manifest.
  const bytes = new Uint8Array(await readFile(path));
  if (!looksSigned(bytes)) return result;
  try {
    const c2pa = await readC2pa(bytes, `image/${metadata.format}`);
    if (c2pa !== undefined) result.c2pa = c2pa;
  } catch (error) {
    result.c2paNote = error instanceof AssetgenError ? error.message : String(error);
  }
  return result;
}
