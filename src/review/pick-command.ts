/**
 * The `assetgen pick <recipe> <asset-id> <name=value>…` command that pins one variant, as a designer
 * would paste it into a POSIX shell: words with spaces or shell characters are single-quoted.
 */

type VariantValue = string | number | boolean;

/** Quotes a word for sh/bash/zsh when it needs it: `soft ink` → `'soft ink'`, `it's` → `'it'\''s'`. */
export function shellWord(word: string): string {
  if (word !== '' && /^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `name=value`, the value quoted when it holds spaces or shell characters (`style='soft ink'`). */
function assignment(name: string, value: VariantValue): string {
  const quoted = shellWord(String(value));
  return `${shellWord(name)}=${quoted}`;
}

/** The pick command for one variant, or undefined when the recipe has no variants to pick from. */
export function pickCommand(
  recipeSource: string,
  assetId: string,
  variant: Readonly<Record<string, VariantValue>>,
): string | undefined {
  const entries = Object.entries(variant);
  if (entries.length === 0) return undefined;
  return [
    'assetgen pick',
    shellWord(recipeSource),
    shellWord(assetId),
    ...entries.map(([name, value]) => assignment(name, value)),
  ].join(' ');
}

/** The variant's name on the page and in `data-variant`: `seed=42,style=ink` (`''` without variants). */
export function variantName(variant: Readonly<Record<string, VariantValue>>): string {
  return Object.entries(variant)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(',');
}
