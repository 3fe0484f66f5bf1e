/**
 * The text edit behind `assetgen pick`: sets, replaces or removes the `pick` entry of one asset by splicing
 * the recipe text at positions the `yaml` Document gives, so every other byte stays as written (the
 * Document's own printer would re-space flow lists, `[7, 42]` → `[ 7, 42 ]`). The result is parsed again
 * and compared with the intended data; should a splice ever not give it (an unusual layout), the
 * Document API's printer is used instead, which keeps comments but may re-space.
 */
import { isDeepStrictEqual } from 'node:util';
import { type Document, isScalar, type Node, type Pair, parseDocument, stringify, type YAMLMap } from 'yaml';
import { InternalError } from '../errors.js';
import type { TemplateValue } from './templates.js';

/** The recipe has no shape in which an asset can be found (its problems say why). */
export class PickStructureError extends Error {}

type PickValue = Record<string, TemplateValue> | undefined;

/** The text with `asset`'s pick set to `pick`, or removed when undefined. `asset` is a node of `doc`. */
export function setPickInText(text: string, doc: Document, asset: YAMLMap, pick: PickValue): string {
  const index = assetIndex(doc, asset);
  const intended = intendedData(doc, index, pick);
  const spliced = splice(text, asset, pick);
  if (spliced !== undefined && isDeepStrictEqual(dataOf(spliced), intended)) return spliced;
  // Fallback: the Document API (keeps comments; may re-space some collections).
  if (pick === undefined) asset.delete('pick');
  else asset.set('pick', doc.createNode(pick, { flow: true }));
  const printed = doc.toString({ lineWidth: 0 });
  if (isDeepStrictEqual(dataOf(printed), intended)) return printed;
  throw new InternalError(`could not write pick: for assets[${index}]`);
}

function assetIndex(doc: Document, asset: YAMLMap): number {
  const assets = doc.get('assets', true) as { items?: unknown[] } | undefined;
  return assets?.items?.indexOf(asset) ?? -1;
}

function dataOf(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: false });
  return doc.errors.length > 0 ? undefined : doc.toJS();
}

function intendedData(doc: Document, index: number, pick: PickValue): unknown {
  const data = doc.toJS() as { assets: Record<string, unknown>[] };
  const asset = data.assets[index];
  if (asset === undefined) throw new InternalError(`assets[${index}] vanished`);
  if (pick === undefined) delete asset.pick;
  else asset.pick = pick;
  return data;
}

/** `{ seed: 42 }`: the pick as a one-line flow map (quoted where YAML needs it). */
export function pickFlowText(pick: Record<string, TemplateValue>): string {
  return stringify(pick, { collectionStyle: 'flow', lineWidth: 0 }).trim();
}

const start = (node: Node | null | undefined): number | undefined => node?.range?.[0];
/** Where the value ends (before trailing comments and line breaks). */
const end = (node: Node | null | undefined): number | undefined => node?.range?.[1];

function pickPair(asset: YAMLMap): Pair<Node, Node> | undefined {
  return (asset.items as Pair<Node, Node>[]).find((pair) => isScalar(pair.key) && pair.key.value === 'pick');
}

function splice(text: string, asset: YAMLMap, pick: PickValue): string | undefined {
  const pair = pickPair(asset);
  if (pair !== undefined)
    return pick === undefined ? removePair(text, asset, pair) : replaceValue(text, pair, pick);
  if (pick === undefined) return text;
  return asset.flow === true ? insertFlow(text, asset, pick) : insertBlock(text, asset, pick);
}

/** Replaces what follows `pick:` up to the end of its value (a block map below it becomes one flow line). */
function replaceValue(
  text: string,
  pair: Pair<Node, Node>,
  pick: Record<string, TemplateValue>,
): string | undefined {
  const keyEnd = end(pair.key);
  const valueEnd = lastContent(text, end(pair.value) ?? keyEnd);
  if (keyEnd === undefined || valueEnd === undefined) return undefined;
  const colon = text.indexOf(':', keyEnd);
  if (colon < 0 || text.slice(keyEnd, colon).trim() !== '') return undefined;
  return `${text.slice(0, colon + 1)} ${pickFlowText(pick)}${text.slice(valueEnd + 1)}`;
}

function removePair(text: string, asset: YAMLMap, pair: Pair<Node, Node>): string | undefined {
  const pairs = asset.items as Pair<Node, Node>[];
  const at = pairs.indexOf(pair);
  const keyStart = start(pair.key);
  const valueEnd = lastContent(text, end(pair.value) ?? end(pair.key));
  if (keyStart === undefined || valueEnd === undefined) return undefined;
  if (asset.flow === true) {
    const previous = pairs[at - 1];
    const next = pairs[at + 1];
    const previousEnd = lastContent(text, end(previous?.value) ?? end(previous?.key));
    if (previousEnd !== undefined) return text.slice(0, previousEnd + 1) + text.slice(valueEnd + 1);
    const nextStart = start(next?.key);
    if (nextStart !== undefined) return text.slice(0, keyStart) + text.slice(nextStart);
    return undefined;
  }
  const lineStart = text.lastIndexOf('\n', keyStart - 1) + 1;
  const lineEnd = endOfLine(text, valueEnd);
  if (text.slice(lineStart, keyStart).trim() === '') return text.slice(0, lineStart) + text.slice(lineEnd);
  // `- pick: …` opens the item: the next key moves up behind the dash.
  const nextStart = start(pairs[at + 1]?.key);
  return nextStart === undefined ? undefined : text.slice(0, keyStart) + text.slice(nextStart);
}

function insertBlock(text: string, asset: YAMLMap, pick: Record<string, TemplateValue>): string | undefined {
  const pairs = asset.items as Pair<Node, Node>[];
  const first = start(pairs[0]?.key);
  const last = pairs.at(-1);
  const lastEnd = lastContent(text, end(last?.value) ?? end(last?.key));
  if (first === undefined || lastEnd === undefined) return undefined;
  const indent = first - (text.lastIndexOf('\n', first - 1) + 1);
  const line = `${' '.repeat(indent)}pick: ${pickFlowText(pick)}\n`;
  const at = endOfLine(text, lastEnd);
  const before = text.slice(0, at);
  return `${before}${before.endsWith('\n') ? '' : '\n'}${line}${text.slice(at)}`;
}

function insertFlow(text: string, asset: YAMLMap, pick: Record<string, TemplateValue>): string | undefined {
  const last = (asset.items as Pair<Node, Node>[]).at(-1);
  const lastEnd = lastContent(text, end(last?.value) ?? end(last?.key));
  if (lastEnd === undefined) return undefined;
  return `${text.slice(0, lastEnd + 1)}, pick: ${pickFlowText(pick)}${text.slice(lastEnd + 1)}`;
}

/** The index of the last non-blank character before `position` (ranges of block values end after a newline). */
function lastContent(text: string, position: number | undefined): number | undefined {
  if (position === undefined) return undefined;
  let i = position - 1;
  while (i >= 0 && /\s/.test(text[i] ?? '')) i--;
  return i < 0 ? undefined : i;
}

/** The position just after the line break that ends the line holding `index` (or the text's end). */
function endOfLine(text: string, index: number): number {
  const newline = text.indexOf('\n', index);
  return newline < 0 ? text.length : newline + 1;
}
