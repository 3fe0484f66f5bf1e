/**
 * What a command reports beyond its human output, to every machine reader that is switched on: `--json`
 * (one JSON object per line on stdout, json-lines.ts) and GitHub Actions (annotations and a job summary,
 * github/). A command hands over what the library returned and emitted; `finish` comes last, once the
 * exit code is known — also after an error, so a JSON reader always gets its `summary`.
 */
import type { PlanReport } from '../api/plan.js';
import type { RunReport } from '../api/run.js';
import type { ValidRecipe } from '../api/validate.js';
import type { RunEvent } from '../run/events.js';
import { createGithubSink } from './github/github-sink.js';
import { createJsonSink } from './json-lines.js';
import type { CliIO } from './output.js';

export type CommandName = 'validate' | 'plan' | 'run' | 'check';

/** One machine reader: each method is optional. */
export interface CommandSink {
  recipes?(recipes: readonly ValidRecipe[]): void;
  plan?(report: PlanReport): void;
  event?(event: RunEvent): void;
  run?(report: RunReport): void;
  /** The error that ended the command, before it is printed. */
  failed?(error: unknown): void;
  finish?(exitCode: number): Promise<void> | void;
}

export interface CommandOutput extends Required<CommandSink> {
  /** For human output: stdout, or stderr when stdout carries JSON lines. */
  readonly io: CliIO;
}

export function createCommandOutput(
  io: CliIO,
  options: { command: CommandName; json: boolean },
): CommandOutput {
  const sinks: CommandSink[] = [];
  if (options.json) sinks.push(createJsonSink(io, options.command));
  if (io.env.GITHUB_ACTIONS === 'true') sinks.push(createGithubSink(io, options.command));
  return {
    io: options.json ? { ...io, out: io.err } : io,
    recipes: (recipes) => {
      for (const sink of sinks) sink.recipes?.(recipes);
    },
    plan: (report) => {
      for (const sink of sinks) sink.plan?.(report);
    },
    event: (event) => {
      for (const sink of sinks) sink.event?.(event);
    },
    run: (report) => {
      for (const sink of sinks) sink.run?.(report);
    },
    failed: (error) => {
      for (const sink of sinks) sink.failed?.(error);
    },
    finish: async (exitCode) => {
      for (const sink of sinks) await sink.finish?.(exitCode);
    },
  };
}
