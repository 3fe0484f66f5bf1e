import { createInterface } from 'node:readline';
import { type DevEvent, type DevSession, startDev } from '../../dev/index.js';
import { formatProblem, UsageError } from '../../errors.js';
import { formatUsd } from '../../plan/cost.js';
import { cacheOptions } from '../cache-options.js';
import { EXIT } from '../exit-codes.js';
import { plural } from '../format.js';
import { type ReplicateFlags, replicateOptions } from '../library-options.js';
import { type RecipeLimitFlags, recipeLimits } from '../option-parsers.js';
import { type CliIO, redact, secretsOf } from '../output.js';

export interface DevCommandOptions extends ReplicateFlags, RecipeLimitFlags {
  out: string;
  cacheDir: string;
  /** `--cache s3://…`: the shared cache behind the folder (else `ASSETGEN_CACHE`). */
  cache?: string;
  port?: number;
  provider: string;
  yes?: boolean;
  maxCost?: number;
}

/** The terminal the confirmation key comes from (stdin); injectable for tests. */
export interface DevInput {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface DevCommandContext {
  /** Default `process.stdin`. */
  input?: DevInput;
  /** For tests: ends the session instead of SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** For tests: told once the session serves. */
  onStarted?(session: DevSession): void;
}

/** The port tried when none is given; when it is taken, any free one. */
export const DEFAULT_DEV_PORT = 4380;

function printEvent(event: DevEvent, io: CliIO, cwd: string): void {
  switch (event.type) {
    case 'listening':
      io.out(event.url);
      io.err(`dev: serving the review page at ${event.url} (Ctrl-C to stop)`);
      return;
    case 'changed':
      io.err(`changed: ${event.files.map((file) => file.replace(`${cwd}/`, '')).join(', ')}`);
      return;
    case 'invalid':
      for (const problem of event.problems) io.err(formatProblem(problem));
      io.err(
        `${plural(event.problems.length, 'problem')}: nothing was run; the page keeps the last good images`,
      );
      return;
    case 'confirm': {
      const { request } = event;
      const cost =
        request.estimatedUsd === null ? 'an unknown cost' : `about ${formatUsd(request.estimatedUsd)}`;
      io.err(
        `this change runs ${plural(request.tasks, 'task')} on Replicate for ${cost}: press y to run it, n to skip (or use the page)`,
      );
      return;
    }
    case 'answered':
      if (event.answer === 'skip') io.err('skipped: nothing was spent');
      if (event.answer === 'superseded') io.err('the recipes changed again: asking anew');
      return;
    case 'refused':
      io.err(`refused: ${event.message}`);
      return;
    case 'run-finished': {
      const run = event.summary;
      for (const problem of run.problems) io.err(`${problem.where}  ${problem.asset}: ${problem.error}`);
      io.err(
        `${run.status === 'cancelled' ? 'interrupted' : 'done'}: made ${run.made}, cached ${run.cached}, failed ${run.failed}` +
          `${run.skipped > 0 ? `, skipped ${run.skipped}` : ''}, spent ${formatUsd(run.spentUsd)} in ${(run.durationMs / 1000).toFixed(1)}s`,
      );
      return;
    }
    case 'page':
      io.err(`page: ${plural(event.cards, 'card')} (updated in ${Math.round(event.durationMs)} ms)`);
      return;
    case 'picked':
      io.err(
        `picked: ${event.assetId} in ${event.file.replace(`${cwd}/`, '')}${event.changed ? '' : ' (it already was)'}`,
      );
      return;
    case 'error':
      io.err(`error: ${event.message}`);
      return;
  }
}

/** y / Enter confirms the open question, n skips it; Ctrl-C (raw mode) stops the session. */
function listenForKeys(input: DevInput, session: () => DevSession | undefined, stop: () => void): () => void {
  const answer = (run: boolean) => {
    const pending = session()?.pending();
    if (pending !== null && pending !== undefined) session()?.confirm(pending.id, run);
  };
  const raw = input.isTTY === true && typeof input.setRawMode === 'function';
  let lines: ReturnType<typeof createInterface> | undefined;
  const onData = (chunk: Buffer | string) => {
    for (const key of chunk.toString()) {
      if (key === '\u0003') stop();
      else if (key === 'y' || key === 'Y' || key === '\r') answer(true);
      else if (key === 'n' || key === 'N') answer(false);
    }
  };
  if (raw) {
    input.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
  } else {
    lines = createInterface({ input: input as unknown as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const word = line.trim().toLowerCase();
      if (word === 'y' || word === 'yes') answer(true);
      else if (word === 'n' || word === 'no') answer(false);
    });
  }
  return () => {
    if (raw) {
      input.off('data', onData);
      input.setRawMode?.(false);
    }
    lines?.close();
    input.pause();
  };
}

/**
 * `assetgen dev <recipes…>`: runs until Ctrl-C (exit 0). Exit 2 on usage (e.g. --yes without --max-cost,
 * --provider replicate without a token, a port in use) and on a shared cache it cannot use (`--cache`).
 * Invalid recipes do not end it: they show.
 */
export async function devCommand(
  files: readonly string[],
  options: DevCommandOptions,
  io: CliIO,
  context: DevCommandContext = {},
): Promise<number> {
  if (options.provider !== 'local' && options.provider !== 'replicate')
    throw new UsageError(`unknown provider "${options.provider}" for dev (expected local or replicate)`);
  const paid = options.provider === 'replicate';
  if (options.yes === true && options.maxCost === undefined)
    throw new UsageError(
      '--yes spends without asking, so it needs --max-cost <usd>: the most this session may spend',
    );
  if (options.yes === true && !paid)
    io.err('note: --yes only matters with --provider replicate (offline spends nothing)');
  const controller = new AbortController();
  context.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  let stopping = false;
  const stop = () => {
    if (stopping) {
      io.err('interrupted again: exiting now');
      process.exit(EXIT.interrupted);
    }
    stopping = true;
    io.err('stopping: the run in progress is being cancelled…');
    controller.abort();
  };
  const secrets = secretsOf(io.env);
  const common = {
    cwd: io.cwd,
    out: options.out,
    cacheDir: options.cacheDir,
    ...cacheOptions(options.cache, io),
    provider: options.provider as 'local' | 'replicate',
    ...recipeLimits(options),
    ...(paid ? { replicate: replicateOptions(options, io) } : {}),
    ...(options.yes === true ? { yes: true } : {}),
    ...(options.maxCost === undefined ? {} : { maxCostUsd: options.maxCost }),
    signal: controller.signal,
    onEvent: (event: DevEvent) => printEvent(event, io, io.cwd),
    redact: (text: string) => redact(text, secrets),
  };
  let session: DevSession;
  try {
    session = await startDev(files, { ...common, port: options.port ?? DEFAULT_DEV_PORT });
  } catch (error) {
    if (options.port !== undefined || !(error instanceof UsageError && /is in use/.test(error.message)))
      throw error;
    session = await startDev(files, { ...common, port: 0 });
  }
  context.onStarted?.(session);
  const onSignal = () => stop();
  if (context.signal === undefined) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const stopKeys =
    paid && options.yes !== true
      ? listenForKeys(context.input ?? process.stdin, () => session, stop)
      : () => {};
  try {
    await session.closed;
  } finally {
    stopKeys();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const { spentUsd } = session.state();
  io.err(`dev: stopped${paid ? `; this session spent ${formatUsd(spentUsd)}` : ''}`);
  return EXIT.ok;
}
