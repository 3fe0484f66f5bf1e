/**
 * The language-model stand-in (meta/meta-llama-3-70b-instruct): a short, deterministic description built
 * from the prompt's words, streamed word by word as `token` events and capped at `max_tokens` tokens.
 */
import { createHash } from 'node:crypto';
import type { PredictionRequest } from '../types.js';
import { numberInput, stringInput, throwIfAborted } from './request-input.js';
import type { StandInResult } from './stand-in.js';

const STOP_WORDS = new Set(
  'a an and are as at be by for from in into is it its of on or that the this to with without write describe give make'.split(
    ' ',
  ),
);

const TEMPLATES: ReadonlyArray<(a: string, b: string) => string> = [
  (a, b) => `The picture centres on ${a}, with ${b} close by.`,
  (a, b) => `Its mood comes from ${a} and ${b}.`,
  (a, b) => `Details of ${a} stay crisp while ${b} softens into the background.`,
  (a) => `Light falls gently across ${a}.`,
  (a, b) => `${capitalise(a)} and ${b} give the scene its character.`,
  (a) => `Everything else stays quiet, so ${a} reads at a glance.`,
];

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The reply as a list of tokens (a word with its leading space). */
export function replyTokens(prompt: string, maxTokens: number): string[] {
  const words = prompt.match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? [];
  const content = words.filter((w) => !STOP_WORDS.has(w.toLowerCase()));
  let text: string;
  if (content.length === 0) {
    text = 'There is nothing to describe: the prompt is empty.';
  } else {
    const hash = createHash('sha256').update(prompt).digest();
    const pick = (i: number): string => content[(hash[i] ?? 0) % content.length] ?? '';
    const sentences = [`${capitalise(words.slice(0, 12).join(' '))}.`];
    for (let s = 0; s < 3; s++) {
      const template = TEMPLATES[((hash[20 + s] ?? 0) + s) % TEMPLATES.length];
      if (template) sentences.push(template(pick(2 * s), pick(2 * s + 1)));
    }
    text = sentences.join(' ');
  }
  return text
    .split(' ')
    .slice(0, maxTokens)
    .map((word, i) => (i === 0 ? word : ` ${word}`));
}

export async function textReply(request: PredictionRequest): Promise<StandInResult> {
  const prompt = stringInput(request, 'prompt', '');
  const maxTokens = numberInput(request, 'max_tokens', { default: 512, min: 1, integer: true });
  const tokens = replyTokens(prompt, maxTokens);
  for (const token of tokens) {
    throwIfAborted(request.signal);
    request.onEvent?.({ type: 'token', text: token });
  }
  return { files: [], text: tokens.join('') };
}
