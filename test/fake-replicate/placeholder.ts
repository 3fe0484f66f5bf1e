/**
 * A stand-in image maker for the fake (test code, so it may use sharp directly): real, decodable images
 * with the sizes and formats the real models return. Text-to-image draws a coloured card from the prompt
 * and seed; upscalers resize the input by `scale`; background removers make the border colour transparent.
 */
import { createHash } from 'node:crypto';
import sharp, { type Sharp } from 'sharp';
import type { InputFile } from '../../src/providers/types.js';
import type { MadeOutputs, MakeOutputsRequest } from './types.js';

const CONTENT_TYPES: Record<string, string> = { webp: 'image/webp', jpg: 'image/jpeg', png: 'image/png' };

/** Flux sizes: megapixels × aspect ratio, sides rounded to multiples of 64 (1:1 at 1 MP = 1024×1024). */
export function fluxSize(aspectRatio: string, megapixels: string): { width: number; height: number } {
  const [w = 1, h = 1] = aspectRatio.split(':').map(Number);
  const area = Number(megapixels) * 1024 * 1024;
  const round64 = (v: number) => Math.max(64, Math.round(v / 64) * 64);
  return { width: round64(Math.sqrt((area * w) / h)), height: round64(Math.sqrt((area * h) / w)) };
}

function encode(image: Sharp, format: string, quality: number): Promise<Buffer> {
  if (format === 'webp') return image.webp({ quality }).toBuffer();
  if (format === 'jpg') return image.jpeg({ quality }).toBuffer();
  return image.png().toBuffer();
}

async function textToImage(input: Record<string, unknown>, model: string): Promise<MadeOutputs> {
  const isFlux = model.startsWith('black-forest-labs/');
  const size = isFlux
    ? fluxSize(String(input.aspect_ratio ?? '1:1'), String(input.megapixels ?? '1'))
    : { width: Number(input.width ?? 1024), height: Number(input.height ?? 1024) };
  const format = isFlux ? String(input.output_format ?? 'webp') : 'png';
  const quality = Number(input.output_quality ?? 80);
  const count = Number(input.num_outputs ?? 1);
  const files: Buffer[] = [];
  for (let i = 0; i < count; i += 1) {
    const hash = createHash('sha256')
      .update(`${String(input.prompt)}|${String(input.seed)}|${i}`)
      .digest();
    const [r = 0, g = 0, b = 0] = hash;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size.width}" height="${size.height}">
      <rect width="100%" height="100%" fill="rgb(${r},${g},${b})"/>
      <rect x="10%" y="40%" width="80%" height="20%" fill="rgb(${255 - r},${255 - g},${255 - b})"/></svg>`;
    files.push(await encode(sharp(Buffer.from(svg)), format, quality));
  }
  return { files, contentType: CONTENT_TYPES[format] ?? 'image/png' };
}

function imageInput(request: MakeOutputsRequest): InputFile {
  const value = request.input.image;
  if (typeof value !== 'object' || value === null || (value as InputFile).kind !== 'file') {
    throw new Error('image input is missing');
  }
  return value as InputFile;
}

async function upscale(request: MakeOutputsRequest): Promise<MadeOutputs> {
  const file = imageInput(request);
  const scale = Number(request.input.scale ?? 4);
  const meta = await sharp(file.path).metadata();
  const width = Math.max(1, Math.round((meta.width ?? 1) * scale));
  const height = Math.max(1, Math.round((meta.height ?? 1) * scale));
  const body = await sharp(file.path)
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .png()
    .toBuffer();
  return { files: [body], contentType: 'image/png' };
}

async function removeBackground(request: MakeOutputsRequest): Promise<MadeOutputs> {
  const file = imageInput(request);
  const { data, info } = await sharp(file.path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const [r0 = 0, g0 = 0, b0 = 0] = data;
  for (let i = 0; i < data.length; i += 4) {
    const d =
      Math.abs((data[i] ?? 0) - r0) + Math.abs((data[i + 1] ?? 0) - g0) + Math.abs((data[i + 2] ?? 0) - b0);
    if (d < 48) data[i + 3] = 0;
  }
  const body = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } })
    .png()
    .toBuffer();
  return { files: [body], contentType: 'image/png' };
}

export function renderPlaceholder(request: MakeOutputsRequest): Promise<MadeOutputs> {
  switch (request.catalog.kind) {
    case 'text-to-image':
      return textToImage(request.input, request.model);
    case 'upscale':
      return upscale(request);
    case 'background-removal':
      return removeBackground(request);
    default:
      return Promise.resolve({ text: '' });
  }
}
