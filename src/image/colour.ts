/**
 * Recipe colours: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `transparent`, `white`, `black`
 * (the `color` pattern of schema/recipe.schema.json), parsed into the RGBA form sharp takes.
 */
import { AssetgenError, expected } from '../errors.js';

/** Channels 0–255, alpha 0–1 (sharp's colour object). */
export interface Rgba {
  r: number;
  g: number;
  b: number;
  alpha: number;
}

const NAMED: Readonly<Record<string, Rgba>> = {
  transparent: { r: 0, g: 0, b: 0, alpha: 0 },
  white: { r: 255, g: 255, b: 255, alpha: 1 },
  black: { r: 0, g: 0, b: 0, alpha: 1 },
};

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

/** Parses a recipe colour; `forWhat` names the field in the error message. */
export function parseColour(value: unknown, forWhat = 'a colour'): Rgba {
  if (typeof value === 'string') {
    const named = NAMED[value];
    if (named) return { ...named };
    if (HEX.test(value)) return parseHex(value.slice(1));
  }
  throw new AssetgenError(
    'IMAGE_OPTION',
    expected('#rgb, #rgba, #rrggbb, #rrggbbaa, transparent, white or black', forWhat, value),
  );
}

function parseHex(hex: string): Rgba {
  const short = hex.length <= 4;
  const channel = (i: number): number => {
    const digits = short ? `${hex[i]}${hex[i]}` : hex.slice(i * 2, i * 2 + 2);
    return Number.parseInt(digits, 16);
  };
  const hasAlpha = hex.length === 4 || hex.length === 8;
  return { r: channel(0), g: channel(1), b: channel(2), alpha: hasAlpha ? channel(3) / 255 : 1 };
}
