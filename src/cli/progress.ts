/**
 * Turns run events into progress output: on a terminal a live status line (redrawn in place) with
 * finished assets printed above it; otherwise one plain line per event (CI logs).
 */
import { formatUsd } from '../plan/cost.js';
import type { RunEvent, TaskRef } from '../run/events.js';
import type { CliIO } from './output.js';

const label = (task: TaskRef): string => `${task.asset} ${task.step} (${task.model})`;

export interface Progress {
  onEvent(event: RunEvent): void;
  /** Clears the live line (before the summary is printed). */
  stop(): void;
}

export function createProgress(io: CliIO, options: { quiet?: boolean; live?: boolean }): Progress {
  const live = options.live ?? io.isTTY;
  let running = 0;
  let done = 0;
  let cached = 0;
  let failed = 0;
  let spent = 0;
  let lastDraw = 0;
  let statusShown = false;

  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    process.stderr.write(
      `\r\x1b[2K  running ${running} · done ${done} · cached ${cached} · failed ${failed} · spent ${formatUsd(spent)}`,
    );
    statusShown = true;
  };
  const print = (line: string) => {
    if (live && statusShown) process.stderr.write('\r\x1b[2K');
    io.err(line);
    if (live) draw(true);
  };

  return {
    onEvent(event) {
      switch (event.type) {
        case 'task-started':
          running++;
          if (!live && !options.quiet) print(`start   ${label(event.task)}`);
          break;
        case 'task-finished':
          if (!event.cached) running = Math.max(0, running - 1);
          done++;
          if (event.cached) cached++;
          if (!live && !options.quiet) {
            const cost = event.actualUsd ? ` ${formatUsd(event.actualUsd)}` : '';
            print(
              `${event.cached ? 'cached ' : 'done   '} ${label(event.task)} ${event.durationMs}ms${cost}`,
            );
          }
          break;
        case 'task-progress':
          if (!live && !options.quiet) {
            const id = event.predictionId === undefined ? '' : ` ${event.predictionId}`;
            print(`${event.status.padEnd(7)} ${label(event.task)}${id}`);
          }
          break;
        case 'task-token':
          if (!options.quiet && !live) io.err(`token   ${label(event.task)} ${JSON.stringify(event.text)}`);
          break;
        case 'task-skipped':
          print(`skipped ${label(event.task)}: ${event.reason}`);
          break;
        case 'cost':
          spent = event.spentUsd;
          break;
        case 'asset-finished':
          if (live && !options.quiet) print(`✓ ${event.asset} (${event.files} files)`);
          else if (!options.quiet) print(`asset   ${event.asset} ok (${event.files} files)`);
          break;
        case 'task-failed':
          running = Math.max(0, running - 1);
          if (!live && !options.quiet) print(`failed  ${label(event.task)}: ${event.error}`);
          break;
        case 'asset-failed':
          failed++;
          print(`✗ ${event.asset}: ${event.error}`);
          break;
        case 'warning':
          print(`warning: ${event.message}`);
          break;
        default:
          break;
      }
      if (live) draw();
    },
    stop() {
      if (live && statusShown) process.stderr.write('\r\x1b[2K');
    },
  };
}
