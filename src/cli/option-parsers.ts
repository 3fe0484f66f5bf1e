/** Parsers for option values that commander hands over as strings: a bad value is a usage error (exit 2). */
import { InvalidArgumentError } from 'commander';
import type { RecipeLoadOptions } from '../api/options.js';
import { UsageError } from '../errors.js';
import { parseShard, type ShardSpec } from '../plan/shard.js';

/** What is wrong with a value that should be an http(s) URL, or undefined. */
export function httpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expected an http(s) URL such as https://api.replicate.com/v1 but received "${value}"`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `expected an http(s) URL but received "${value}" (${url.protocol} URL)`;
  return undefined;
}

/** An http(s) URL, as given (`--base-url`, `--webhook-url`). */
export function httpUrl(value: string): string {
  const problem = httpUrlProblem(value);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return value;
}

/** A TCP port, 0 (any free port) to 65535. */
export function port(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isInteger(number) || number < 0 || number > 65535)
    throw new InvalidArgumentError(`expected a port from 0 to 65535 but received "${value}"`);
  return number;
}

/** A repeatable folder option (`--allow-root a --allow-root b`), collected in order. */
export function collectFolder(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--max-instances` and `--allow-root` (repeatable), as commander hands them over. */
export interface RecipeLimitFlags {
  maxInstances?: number;
  allowRoot?: string[];
  profile?: string;
}

/** The flags → the library's options (folders stay relative: the library resolves them against `cwd`). */
export function recipeLimits(flags: RecipeLimitFlags): RecipeLoadOptions {
  return {
    ...(flags.maxInstances === undefined ? {} : { maxInstances: flags.maxInstances }),
    ...(flags.allowRoot === undefined ? {} : { allowRoots: flags.allowRoot }),
    ...(flags.profile === undefined ? {} : { profile: flags.profile }),
  };
}

/** `--shard i/n` (1-based, as Playwright's). */
export function shard(value: string): ShardSpec {
  try {
    return parseShard(value);
  } catch (error) {
    // commander prefixes "option '--shard <i/n>' argument '…' is invalid."; the reason follows.
    if (error instanceof UsageError) throw new InvalidArgumentError(error.message.replace(/^--shard: /, ''));
    throw error;
  }
}
