/**
 * Colour for terminal output: on for a terminal, off otherwise; `NO_COLOR` (any non-empty value) turns it
 * off, `FORCE_COLOR` decides over both (`0` or `false`: off, anything else: on, also in CI logs).
 */

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

export function colourEnabled(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY && env.TERM !== 'dumb';
}

/** `paint('red', text)`: the text in that style, or unchanged when colour is off. */
export type Paint = (style: Style, text: string) => string;

export function createPaint(enabled: boolean): Paint {
  if (!enabled) return (_style, text) => text;
  return (style, text) => {
    const [on, off] = CODES[style];
    return text === '' ? text : `\x1b[${on}m${text}\x1b[${off}m`;
  };
}

/** The text without colour codes (to measure what shows). */
export function visible(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape sequences
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}
