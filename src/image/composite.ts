/** The `composite` operation's overlay: read, resized, faded to its opacity, placed by gravity or offset. */
import { resolve } from 'node:path';
import type { Blend, Gravity, OverlayOptions } from 'sharp';
import { AssetgenError, expected } from '../errors.js';
import type { OpComposite } from '../recipe/recipe-types.generated.js';
import { imageFailure, openImage } from './input.js';

export interface Size {
  width: number;
  height: number;
}

/**
 * Builds sharp's overlay for one composite operation onto an image of `base` size. The overlay is
 * decoded to raw RGBA (overlays are small: watermarks, badges) so opacity is a multiply of its alpha.
 */
export async function prepareOverlay(op: OpComposite, baseDir: string, base: Size): Promise<OverlayOptions> {
  if (typeof op.image !== 'string' || op.image === '') {
    throw new AssetgenError('IMAGE_OPERATION', expected('a file path', 'composite.image', op.image));
  }
  const opacity = op.opacity ?? 1;
  if (typeof opacity !== 'number' || !(opacity >= 0 && opacity <= 1)) {
    throw new AssetgenError(
      'IMAGE_OPERATION',
      expected('a number from 0 to 1', 'composite.opacity', opacity),
    );
  }
  const path = resolve(baseDir, op.image);
  let pipeline = openImage(path).pipelineColourspace('srgb');
  if (op.width !== undefined) pipeline = pipeline.resize({ width: op.width });
  const { data, info } = await pipeline
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_INVALID', `cannot read the composite overlay ${path}`, error);
    });
  if (info.width > base.width || info.height > base.height) {
    throw new AssetgenError(
      'IMAGE_OPERATION',
      `composite overlay ${op.image} (${info.width}x${info.height}) is larger than the image it goes on ` +
        `(${base.width}x${base.height}); give composite.width to shrink it`,
    );
  }
  if (opacity < 1) {
    for (let i = 3; i < data.length; i += 4) data[i] = Math.round((data[i] ?? 0) * opacity);
  }
  const overlay: OverlayOptions = {
    input: data,
    raw: { width: info.width, height: info.height, channels: 4 },
    blend: (op.blend ?? 'over') as Blend,
  };
  if (op.left !== undefined || op.top !== undefined) {
    overlay.left = op.left ?? 0;
    overlay.top = op.top ?? 0;
  } else {
    overlay.gravity = (op.gravity ?? 'center') as Gravity;
  }
  return overlay;
}
