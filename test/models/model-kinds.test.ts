import { describe, expect, it } from 'vitest';
import type { CogOutputShape } from '../../src/models/cog-schema.js';
import { deriveKind, type KindOverrides, takesImageList } from '../../src/models/model-kinds.js';

const uri = { type: 'string', format: 'uri' };
const uris = { type: 'array', items: uri };
const text = { type: 'string' };

const cases: Array<{
  name: string;
  properties: Record<string, unknown>;
  output: CogOutputShape;
  overrides?: KindOverrides;
  kind: 'text-to-image' | 'text';
  imageInput: string | undefined;
}> = [
  {
    name: 'text-to-image, no file input',
    properties: { prompt: text },
    output: 'file-array',
    kind: 'text-to-image',
    imageInput: undefined,
  },
  {
    name: 'one file named image',
    properties: { prompt: text, image: uri },
    output: 'file',
    kind: 'text-to-image',
    imageInput: 'image',
  },
  {
    name: 'input_image (Kontext)',
    properties: { prompt: text, input_image: uri },
    output: 'file',
    kind: 'text-to-image',
    imageInput: 'input_image',
  },
  {
    name: 'init_image',
    properties: { init_image: uri, prompt: text },
    output: 'file',
    kind: 'text-to-image',
    imageInput: 'init_image',
  },
  {
    name: 'image_prompt (flux-pro redux)',
    properties: { image_prompt: uri },
    output: 'file',
    kind: 'text-to-image',
    imageInput: 'image_prompt',
  },
  {
    name: 'a list: input_images',
    properties: { input_images: uris, prompt: text },
    output: 'file',
    kind: 'text-to-image',
    imageInput: 'input_images',
  },
  {
    name: 'mask is never the upstream image',
    properties: { mask: uri, image: uri },
    output: 'file-array',
    kind: 'text-to-image',
    imageInput: 'image',
  },
  {
    name: 'only a mask and a control map',
    properties: { mask_image: uri, control_image: uri },
    output: 'file',
    kind: 'text-to-image',
    imageInput: undefined,
  },
  {
    name: 'image-like name: source_photo',
    properties: { source_photo: uri },
    output: 'file',
    kind: 'text-to-image',
    imageInput: 'source_photo',
  },
  {
    name: 'a string named image is not a file',
    properties: { image: text },
    output: 'file',
    kind: 'text-to-image',
    imageInput: undefined,
  },
  {
    name: 'a language model',
    properties: { prompt: text },
    output: 'text-tokens',
    kind: 'text',
    imageInput: undefined,
  },
  {
    name: 'a captioner: image in, text out',
    properties: { image: uri },
    output: 'text',
    kind: 'text',
    imageInput: 'image',
  },
  {
    name: 'override: image_input and kind',
    properties: { photo_a: uri, photo_b: uri },
    output: 'text',
    overrides: { imageInput: 'photo_b', kind: 'image' },
    kind: 'text-to-image',
    imageInput: 'photo_b',
  },
];

describe('kinds from the schema', () => {
  it.each(cases)('$name', ({ properties, output, overrides, kind, imageInput }) => {
    const derived = deriveKind({ type: 'object', properties }, output, overrides);
    expect(derived.kind).toBe(kind);
    expect(derived.imageInput).toBe(imageInput);
  });

  it('lists every file input and tells lists of images', () => {
    const schema = { type: 'object', properties: { prompt: text, image: uri, mask: uri, refs: uris } };
    expect(deriveKind(schema, 'file').fileInputs).toEqual(['image', 'mask', 'refs']);
    expect(takesImageList({ inputSchema: schema }, 'refs')).toBe(true);
    expect(takesImageList({ inputSchema: schema }, 'image')).toBe(false);
  });
});
