/**
 * Pick and pin: `pick: { seed: 42 }` under an asset makes it run only the picked variant. `editPick` turns
 * recipe text into the text with the pick set (or cleared) after checking that every picked value is one
 * of the variant's values; `pickInFile` does that to a file, validates the result and writes it
 * atomically. The edit touches only the `pick` entry: every other byte of the file — comments, quoting,
 * spacing, key order — stays as it was (pick-edit.ts).
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { RecipeError, UsageError } from '../errors.js';
import type { Catalog } from '../models/catalog.js';
import { writeFileAtomic } from '../store/atomic.js';
import { showValue } from './_check-pick.js';
import { isRecord } from './_paths.js';
import { closest, didYouMean, listOf } from './_suggest.js';
import { parseYamlSource } from './_yaml-source.js';
import { matchesPick, variantCombinations } from './instances.js';
import { type LoadedRecipe, parseRecipeText } from './load.js';
import { PickStructureError, setPickInText } from './pick-edit.js';
import type { TemplateValue } from './templates.js';

/** Variant values to pick, by variant name. Strings are typed like the variant's values (`"42"` → 42). */
export type PickValues = Readonly<Record<string, TemplateValue>>;

export interface PickChange {
  /** The recipe text with the change (the same text when nothing changed). */
  text: string;
  assetId: string;
  /** The asset's pick before and after; undefined: none (every variant). */
  before: Record<string, TemplateValue> | undefined;
  after: Record<string, TemplateValue> | undefined;
  changed: boolean;
  /** How many variant combinations the asset makes with the new pick, of how many in all. */
  combinations: number;
  totalCombinations: number;
}

export interface PickResult extends PickChange {
  /** The file as given. */
  file: string;
  /** The recipe after the change, validated. */
  recipe: LoadedRecipe;
}

/**
 * Sets (`values`) or clears (`null`) the pick of `assetId` in recipe text. `file` names the recipe in
 * messages. Throws UsageError naming what does not exist (with a suggestion), RecipeError when the text
 * cannot be read as a recipe at all.
 */
export function editPick(text: string, file: string, assetId: string, values: PickValues | null): PickChange {
  const source = parseYamlSource(text, file);
  if (source.data === undefined) throw new RecipeError(source.problems.list());
  const data = isRecord(source.data) ? source.data : {};
  const doc = parseDocument(text, { uniqueKeys: false });
  const asset = findAsset(doc.get('assets', true), data, file, assetId);
  const variants = variantsOf(data);
  const beforeValue = asset.get('pick');
  const before = isMap(beforeValue)
    ? (beforeValue.toJSON() as Record<string, TemplateValue>)
    : beforeValue === undefined
      ? undefined
      : {};
  const after = values === null ? undefined : typedPick(values, variants, file, assetId);
  const total = variantCombinations(variants);
  const combinations = total.filter((variant) => matchesPick(variant, after)).length;
  const base = { assetId, before, after, combinations, totalCombinations: total.length };
  if (sameValues(before, after)) return { ...base, text, changed: false };
  return { ...base, text: setPickInText(text, doc, asset, after), changed: true };
}

/**
 * `editPick` on a file: reads it (through symlinks), validates the changed recipe in full and writes it
 * atomically, keeping the file's mode. Nothing is written when the pick is already so, or on any problem.
 */
export async function pickInFile(
  file: string,
  assetId: string,
  values: PickValues | null,
  options: { catalog: Catalog /** The recipe's name in messages (default: `file`). */; name?: string },
): Promise<PickResult> {
  const name = options.name ?? file;
  const target = await realFile(file, name);
  const text = await readFile(target, 'utf8');
  const parse = { catalog: options.catalog, dir: dirname(target) };
  let change: PickChange;
  try {
    change = editPick(text, name, assetId, values);
  } catch (error) {
    // The recipe is too broken to find the asset: report its problems with their positions.
    if (error instanceof PickStructureError) parseRecipeText(text, name, parse);
    throw error;
  }
  const recipe = parseRecipeText(change.text, name, parse);
  if (change.changed)
    await writeFileAtomic(target, change.text, { mode: (await stat(target)).mode & 0o7777 });
  return { ...change, file, recipe };
}

/** `seed=42`, shell-quoted when needed: the arguments of the `assetgen pick` command for a variant. */
export function pickArguments(variant: Readonly<Record<string, TemplateValue>>): string[] {
  return Object.entries(variant).map(([name, value]) => shellWord(`${name}=${String(value)}`));
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

async function realFile(file: string, name: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `no such recipe file: ${name}` : `cannot read ${name} (${code ?? String(error)})`,
    );
  }
}

function findAsset(assets: unknown, data: Record<string, unknown>, file: string, assetId: string): YAMLMap {
  if (!isSeq(assets)) throw new PickStructureError(`${file} has no list of assets`);
  const ids: string[] = [];
  for (const item of assets.items) {
    if (!isMap(item)) continue;
    const id = item.get('id', true);
    if (!isScalar(id)) continue;
    if (id.value === assetId) return item;
    ids.push(String(id.value));
  }
  const listed = Array.isArray(data.assets) ? data.assets : [];
  if (listed.some((asset) => isRecord(asset) && asset.id === assetId)) {
    throw new UsageError(
      `asset "${assetId}" in ${file} is written as a YAML alias; write pick: under its anchor by hand`,
    );
  }
  throw new UsageError(
    `${file} has no asset "${assetId}"${didYouMean(assetId, ids)}; its assets are ${listOf(ids)}`,
  );
}

function variantsOf(data: Record<string, unknown>): Record<string, TemplateValue[]> {
  const variants = isRecord(data.variants) ? data.variants : {};
  return Object.fromEntries(
    Object.entries(variants).filter((entry): entry is [string, TemplateValue[]] => Array.isArray(entry[1])),
  );
}

/** The pick in the variants' order, each value the variant's own (typed) value. */
function typedPick(
  values: PickValues,
  variants: Readonly<Record<string, TemplateValue[]>>,
  file: string,
  assetId: string,
): Record<string, TemplateValue> {
  const names = Object.keys(variants);
  if (names.length === 0) {
    throw new UsageError(
      `${file} has no variants: there is nothing to pick for "${assetId}" (add variants:, e.g. seed: [1, 2])`,
    );
  }
  const given = Object.entries(values);
  if (given.length === 0) {
    throw new UsageError(
      `name the variant to pick for "${assetId}", e.g. ${names[0]}=${String(variants[names[0] ?? '']?.[0])} (or --clear)`,
    );
  }
  const typed: Record<string, TemplateValue> = {};
  for (const [name, value] of given) {
    const options = variants[name];
    if (options === undefined) {
      throw new UsageError(
        `"${name}" is not a variant of ${file}${didYouMean(name, names)}; its variants are ${listOf(names)}`,
      );
    }
    const match =
      options.find((option) => option === value) ??
      options.find((option) => String(option) === String(value));
    if (match === undefined) {
      const shown = listOf(options.map((option) => showValue(option)));
      const near = closest(String(value), options.map(String));
      const nearest = options.find((option) => String(option) === near);
      throw new UsageError(
        `expected one of ${shown} for variant "${name}" of ${assetId} but received ${String(value)}` +
          (nearest === undefined ? '' : ` (did you mean ${showValue(nearest)}?)`),
      );
    }
    typed[name] = match;
  }
  const ordered: Record<string, TemplateValue> = {};
  for (const name of names) {
    const value = typed[name];
    if (value !== undefined) ordered[name] = value;
  }
  return ordered;
}

function sameValues(
  a: Record<string, TemplateValue> | undefined,
  b: Record<string, TemplateValue> | undefined,
) {
  if (a === undefined || b === undefined) return a === b;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** `seed=42, style="ink wash"` for messages; `every variant` for none. */
export function describePick(pick: Readonly<Record<string, TemplateValue>> | undefined): string {
  if (pick === undefined) return 'every variant';
  return Object.entries(pick)
    .map(
      ([name, value]) =>
        `${name}=${typeof value === 'string' && /\s/.test(value) ? showValue(value) : String(value)}`,
    )
    .join(', ');
}
