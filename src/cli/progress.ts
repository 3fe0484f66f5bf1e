/**
 * Turns run events into output a person can read.
 * - On a terminal: a live area redrawn in place — the text of language-model steps as it streams, and a
 *   status line (assets and tasks done of total, percentage, ETA, spent against the estimate, cold boots)
 *   — with finished assets, finished texts, failures and warnings printed above it; colour unless
 *   `NO_COLOR` (see colour.ts).
 * - Otherwise (CI logs): one plain line per event, and one per finished text step — never one per token.
 * At the end, unless quiet: a short table of the files written (outputs-table.ts).
 */
import { formatUsd } from '../plan/cost.js';
import type { RunEvent, TaskRef } from '../run/events.js';
import { colourEnabled, createPaint, type Paint } from './colour.js';
import { plural } from './format.js';
import type { CliIO, LiveStream } from './output.js';
import { createOutputsTable } from './outputs-table.js';
import { type ProgressCounts, statusLine, streamingLine } from './progress-line.js';

export interface Progress {
  onEvent(event: RunEvent): void;
  /** Clears the live area and stops redrawing (before the summary is printed); safe to call twice. */
  stop(): void;
}

export interface ProgressOptions {
  /** Only errors and warnings (no per-task lines, no live area, no table). */
  quiet?: boolean;
  /** Redraw a live area (default: stderr is a terminal and can be written to as a stream). */
  live?: boolean;
  /** Colour (default: colour.ts's rule from the environment). */
  colour?: boolean;
  /** The clock (ms), for the ETA; tests pass their own. */
  now?: () => number;
  /** How often the live area is redrawn when nothing happens (ms; 0: only on events). */
  refreshMs?: number;
}

const SPINNER = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
const MIN_REDRAW_MS = 50;
const MAX_STREAMING_LINES = 3;

const label = (task: TaskRef): string => `${task.asset} ${task.step} (${task.model})`;
const taskKey = (task: TaskRef): string => `${task.asset}\u0000${task.step}`;

export function createProgress(io: CliIO, options: ProgressOptions = {}): Progress {
  const quiet = options.quiet === true;
  const stream: LiveStream | undefined = io.errStream;
  const live = (options.live ?? io.isTTY) && stream !== undefined && !quiet;
  const paint: Paint = createPaint(options.colour ?? colourEnabled(io.env, io.isTTY));
  const now = options.now ?? (() => performance.now());
  const table = createOutputsTable(io.cwd);
  const counts: ProgressCounts = {
    assetsDone: 0,
    assetsTotal: 0,
    assetsFailed: 0,
    tasksDone: 0,
    tasksTotal: 0,
    running: 0,
    coldBoots: 0,
    paid: false,
    spentUsd: 0,
    estimatedUsd: null,
  };
  let outDir = io.cwd;
  let workStarted: number | undefined;
  let workDone = 0;
  const finishedPerAsset = new Map<string, number>();
  const streaming = new Map<string, { label: string; text: string }>();
  let drawnLines = 0;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let frame = 0;
  let stopped = false;

  const width = () => Math.max(20, stream?.columns || 80);
  const clear = () => {
    if (drawnLines === 0 || stream === undefined) return;
    stream.write(`\r\x1b[2K${'\x1b[1A\r\x1b[2K'.repeat(drawnLines - 1)}`);
    drawnLines = 0;
  };
  const draw = (force = false) => {
    if (!live || stopped || stream === undefined || counts.assetsTotal === 0) return;
    const time = now();
    if (!force && time - lastDraw < MIN_REDRAW_MS) return;
    lastDraw = time;
    const columns = width();
    const texts = [...streaming.values()];
    const lines = texts
      .slice(-MAX_STREAMING_LINES)
      .map((entry) => streamingLine(entry.label, entry.text, paint, columns));
    if (texts.length > MAX_STREAMING_LINES) {
      lines.unshift(paint('dim', `  ✎ ${texts.length - MAX_STREAMING_LINES} more streaming`));
    }
    frame = (frame + 1) % SPINNER.length;
    lines.push(statusLine({ ...counts, ...eta(time) }, paint, columns, SPINNER[frame] ?? ''));
    clear();
    stream.write(lines.join('\n'));
    drawnLines = lines.length;
  };
  const eta = (time: number): { etaMs?: number } => {
    if (workStarted === undefined || workDone === 0 || counts.tasksDone >= counts.tasksTotal) return {};
    const perTask = (time - workStarted) / workDone;
    return { etaMs: perTask * (counts.tasksTotal - counts.tasksDone) };
  };
  /** A line that stays: above the live area on a terminal, else on stderr. */
  const print = (line: string) => {
    if (live && stream !== undefined && !stopped) {
      clear();
      stream.write(`${line}\n`);
      draw(true);
    } else io.err(line);
  };
  const detail = (line: string) => {
    if (!live && !quiet) print(line);
  };
  const timer =
    live && (options.refreshMs ?? 200) > 0
      ? setInterval(() => draw(true), options.refreshMs ?? 200)
      : undefined;
  timer?.unref();

  const settleAsset = (asset: string, tasks?: number) => {
    const finished = finishedPerAsset.get(asset) ?? 0;
    finishedPerAsset.delete(asset);
    if (tasks !== undefined) counts.tasksDone += Math.max(0, tasks - finished);
  };
  const progressTag = () => `[${counts.assetsDone + counts.assetsFailed}/${counts.assetsTotal}]`;

  const handlers: { [T in RunEvent['type']]?: (event: Extract<RunEvent, { type: T }>) => void } = {
    'run-started': (event) => {
      counts.assetsTotal = event.assets;
      counts.tasksTotal = event.tasks + event.outputFiles;
      counts.paid = event.paid;
      counts.estimatedUsd = event.estimatedUsd;
      outDir = event.outDir;
      const estimate =
        event.paid && event.estimatedUsd !== null ? `, estimated ${formatUsd(event.estimatedUsd)}` : '';
      detail(
        `${event.mode.padEnd(7)} ${plural(event.assets, 'asset')}, ${plural(counts.tasksTotal, 'task')} (${plural(event.recipes, 'recipe')}, ${event.provider}${estimate})`,
      );
    },
    'task-started': (event) => {
      counts.running++;
      workStarted ??= now();
      detail(`start   ${label(event.task)}`);
    },
    'task-progress': (event) => {
      if (event.status === 'booting') counts.coldBoots++;
      const id = event.predictionId === undefined ? '' : ` ${event.predictionId}`;
      const why = event.detail === undefined ? '' : ` (${event.detail})`;
      detail(`${event.status.padEnd(7)} ${label(event.task)}${id}${why}`);
    },
    'task-token': (event) => {
      const key = taskKey(event.task);
      const entry = streaming.get(key) ?? { label: `${event.task.asset} ${event.task.step}`, text: '' };
      entry.text += event.text;
      streaming.set(key, entry);
    },
    'task-finished': (event) => {
      if (!event.cached) {
        counts.running = Math.max(0, counts.running - 1);
        workDone++;
      }
      counts.tasksDone++;
      finishedPerAsset.set(event.task.asset, (finishedPerAsset.get(event.task.asset) ?? 0) + 1);
      if (event.cached) detail(`cached  ${label(event.task)}`);
      else {
        const cost = event.actualUsd ? ` ${formatUsd(event.actualUsd)}` : '';
        detail(`done    ${label(event.task)} ${event.durationMs}ms${cost}`);
      }
      const key = taskKey(event.task);
      const text = event.text ?? streaming.get(key)?.text;
      streaming.delete(key);
      if (text === undefined || quiet) return;
      const name = `${event.task.asset} ${event.task.step}`;
      if (live) print(`${paint('cyan', '✎')} ${paint('dim', name)}  ${text.replace(/\s+/g, ' ').trim()}`);
      else print(`text    ${name} ${JSON.stringify(text)}`);
    },
    'task-failed': (event) => {
      counts.running = Math.max(0, counts.running - 1);
      streaming.delete(taskKey(event.task));
      detail(`failed  ${label(event.task)}: ${event.error}`);
    },
    'task-skipped': (event) => print(`skipped ${label(event.task)}: ${event.reason}`),
    'check-failed': (event) => {
      const next = event.retrying ? `, try ${event.attempt + 1} of ${event.attempts}` : '';
      const from = event.cached ? ' (cached result)' : '';
      print(`${paint('yellow', 'check:')} ${label(event.task)}: ${event.reason}${from}${next}`);
    },
    cost: (event) => {
      counts.spentUsd = event.spentUsd;
    },
    'asset-finished': (event) => {
      counts.assetsDone++;
      settleAsset(event.asset);
      table.add(outDir, event.outputs);
      if (quiet) return;
      if (live) print(`${paint('green', '✓')} ${event.asset}  ${paint('dim', plural(event.files, 'file'))}`);
      else print(`asset   ${event.asset} ok (${plural(event.files, 'file')}) ${progressTag()}`);
    },
    'asset-failed': (event) => {
      counts.assetsFailed++;
      settleAsset(event.asset, event.tasks);
      if (live) print(`${paint('red', '✗')} ${event.asset}: ${event.error}`);
      else print(`asset   ${event.asset} failed: ${event.error} ${progressTag()}`);
    },
    warning: (event) => print(`${paint('yellow', 'warning:')} ${event.message}`),
    'run-finished': () => {
      if (quiet) return;
      stop();
      for (const line of table.render(paint)) {
        if (live && stream !== undefined) stream.write(`${line}\n`);
        else io.err(line);
      }
    },
  };

  function stop() {
    if (stopped) return;
    clear();
    stopped = true;
    if (timer !== undefined) clearInterval(timer);
  }

  return {
    onEvent(event) {
      (handlers[event.type] as ((event: RunEvent) => void) | undefined)?.(event);
      draw();
    },
    stop,
  };
}
