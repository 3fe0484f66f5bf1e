/** `inspectImage`: what an image file says about itself — format, size and the provenance it embeds. */
import { stat } from 'node:fs/promises';
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
  return result;
}
