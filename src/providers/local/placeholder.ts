/**
 * The offline text-to-image stand-in's picture: a centred rounded "subject" card in a contrasting colour on
 * a plain backdrop (one colour to the last pixel, like a seamless studio sweep), and on the card the prompt
 * (wrapped), the seed and the size. The backdrop is plain so that `trim` and background removal take it
 * away exactly: a trimmed or cut-out layout previews as it will with real art (the subject centred, no
 * band of backdrop left). Colours come from a hash of prompt and seed; everything is drawn in memory with
 * an embedded font, so the same request gives the same pixels on any machine.
 */
import { createHash } from 'node:crypto';
import type { RawImage } from '../../image/index.js';
import { GLYPH_HEIGHT, GLYPH_WIDTH, toDrawableText } from './bitmap-font.js';
import { createCanvas, drawText, fillCanvas, fillRoundedRect, hsl, type Rgb, textWidth } from './canvas.js';

export interface PlaceholderSpec {
  prompt: string;
  seed: number;
  width: number;
  height: number;
  /** Shown in the footer, e.g. `flux-schnell`. */
  label: string;
}

interface Palette {
  backdrop: Rgb;
  subjectTop: Rgb;
  subjectBottom: Rgb;
  text: Rgb;
  footer: Rgb;
}

function palette(prompt: string, seed: number): Palette {
  const hash = createHash('sha256').update(`${prompt}\n${seed}`).digest();
  const byte = (i: number): number => hash[i] ?? 0;
  const hue = ((byte(0) << 8) | byte(1)) % 360;
  const subjectHue = hue + 150 + (byte(2) % 60);
  return {
    backdrop: hsl(hue, 0.3, 0.9),
    subjectTop: hsl(subjectHue, 0.5, 0.45),
    subjectBottom: hsl(subjectHue, 0.55, 0.33),
    text: hsl(subjectHue, 0.25, 0.97),
    footer: hsl(subjectHue, 0.35, 0.82),
  };
}

/** Greedy word wrap to `columns` characters; words longer than a line are cut. */
export function wrapText(text: string, columns: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').filter(Boolean)) {
    let rest = word;
    while (rest.length > columns) {
      if (line) lines.push(line);
      lines.push(rest.slice(0, columns));
      line = '';
      rest = rest.slice(columns);
    }
    if (!rest) continue;
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= columns) line = `${line} ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line) lines.push(line);
  return lines;
}

interface TextBlock {
  scale: number;
  footerScale: number;
  lines: string[];
  footer: string[];
  height: number;
}

const lineHeight = (scale: number): number => (GLYPH_HEIGHT + 2) * scale;
const columnsFor = (width: number, scale: number): number =>
  Math.floor((width + scale) / ((GLYPH_WIDTH + 1) * scale));

/** The largest text that fits the card: prompt lines at `scale`, footer a little smaller, 16+ columns. */
function layoutText(
  prompt: string,
  footerText: string,
  boxWidth: number,
  boxHeight: number,
  maxScale: number,
): TextBlock {
  const text = toDrawableText(prompt) || '(empty prompt)';
  for (let scale = maxScale; scale >= 1; scale--) {
    const footerScale = Math.max(1, Math.round(scale * 0.6));
    const columns = columnsFor(boxWidth, scale);
    if (columns < 16 && scale > 1) continue;
    const footer = wrapText(footerText, Math.max(1, columnsFor(boxWidth, footerScale)));
    const footerHeight = footer.length * lineHeight(footerScale);
    const room = boxHeight - footerHeight - lineHeight(scale);
    const maxLines = Math.max(1, Math.floor(room / lineHeight(scale)));
    let lines = wrapText(text, Math.max(1, columns));
    if (lines.length > maxLines) {
      if (scale > 1) continue;
      lines = lines.slice(0, maxLines);
      const last = lines[maxLines - 1] ?? '';
      lines[maxLines - 1] = `${last.slice(0, Math.max(0, columns - 3))}...`;
    }
    const height = lines.length * lineHeight(scale) + lineHeight(scale) + footerHeight;
    return { scale, footerScale, lines, footer, height };
  }
  return { scale: 1, footerScale: 1, lines: [], footer: [], height: 0 };
}

export function renderPlaceholder(spec: PlaceholderSpec): RawImage {
  const { width, height } = spec;
  const colours = palette(spec.prompt, spec.seed);
  const canvas = createCanvas(width, height);
  fillCanvas(canvas, colours.backdrop);

  const cardWidth = width - 2 * Math.round(width * 0.13);
  const cardHeight = height - 2 * Math.round(height * 0.17);
  const radius = Math.round(Math.min(cardWidth, cardHeight) * 0.16);
  // Equal whole-pixel margins (the size is rounded to match), and the outline half a pixel inside them so
  // both sides get the same soft, anti-aliased edge: a trim leaves the card exactly centred.
  const card = {
    x: (width - cardWidth) / 2 + 0.5,
    y: (height - cardHeight) / 2 + 0.5,
    width: cardWidth - 1,
    height: cardHeight - 1,
    radius,
  };
  fillRoundedRect(canvas, card, colours.subjectTop, colours.subjectBottom);

  // Text stays well inside the card (clear of the rounded corners), so the card stays one solid subject.
  const padding = Math.max(Math.round(radius * 0.7), Math.round(Math.min(cardWidth, cardHeight) * 0.08), 2);
  const boxWidth = cardWidth - 2 * padding;
  const boxHeight = cardHeight - 2 * padding;
  const footerText = `${spec.label} | seed ${spec.seed} | ${width}x${height}`;
  const maxScale = Math.max(1, Math.floor(Math.min(width, height) / 170));
  const block = layoutText(spec.prompt, footerText, boxWidth, boxHeight, maxScale);

  let y = Math.round(card.y + (cardHeight - block.height) / 2);
  for (const line of block.lines) {
    const x = Math.round(width / 2 - textWidth(line.length, block.scale) / 2);
    drawText(canvas, line, x, y, block.scale, colours.text);
    y += lineHeight(block.scale);
  }
  y += lineHeight(block.scale);
  for (const line of block.footer) {
    const x = Math.round(width / 2 - textWidth(line.length, block.footerScale) / 2);
    drawText(canvas, line, x, y, block.footerScale, colours.footer);
    y += lineHeight(block.footerScale);
  }
  return { data: canvas.data, width, height, channels: 4 };
}
