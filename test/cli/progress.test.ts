/**
 * Progress output: the plain lines of CI logs exactly (one per event, one per finished text step, never
 * one per token), and the live terminal rendering through a fake TTY stream read back as a screen.
 */
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/output.js';
import { createProgress, type ProgressOptions } from '../../src/cli/progress.js';
import type { RunEvent, TaskRef } from '../../src/run/events.js';

const OUT = '/work/project/output';
/** A colour (SGR) escape sequence. */
const SGR = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`);
const task = (asset: string, step: string, model: string): TaskRef => ({ asset, step, model });
const idea = task('captioned/kite', 'idea', 'meta/meta-llama-3-70b-instruct');
const photo = task('captioned/kite', 'photo', 'black-forest-labs/flux-schnell');
const output = task('captioned/kite', 'outputs[0]', 'output');
const lampPhoto = task('captioned/lamp', 'photo', 'black-forest-labs/flux-schnell');

/** A paid run of two assets (3 tasks each): one makes a text, a picture and a file; the other fails. */
const events: RunEvent[] = [
  {
    type: 'run-started',
    mode: 'run',
    provider: 'replicate',
    reason: 'REPLICATE_API_TOKEN is set',
    paid: true,
    recipes: 1,
    assets: 2,
    tasks: 5,
    outputFiles: 1,
    estimatedUsd: 0.0061,
    replicateUsd: 0.0061,
    outDir: OUT,
  },
  { type: 'task-started', task: idea },
  { type: 'task-progress', task: idea, status: 'created', predictionId: 'p1' },
  { type: 'task-token', task: idea, text: 'A red' },
  { type: 'task-token', task: idea, text: ' kite over' },
  { type: 'task-token', task: idea, text: ' a beach.' },
  {
    type: 'task-finished',
    task: idea,
    cached: false,
    durationMs: 812,
    actualUsd: 0.0001,
    text: 'A red kite over a beach.',
  },
  { type: 'cost', spentUsd: 0.0001, reservedUsd: 0.003 },
  { type: 'task-started', task: photo },
  { type: 'task-progress', task: photo, status: 'booting', predictionId: 'p2' },
  { type: 'task-finished', task: photo, cached: false, durationMs: 2100, actualUsd: 0.003 },
  { type: 'cost', spentUsd: 0.0031, reservedUsd: 0 },
  { type: 'task-finished', task: output, cached: true, durationMs: 5, actualUsd: 0 },
  {
    type: 'asset-finished',
    asset: 'captioned/kite',
    files: 1,
    outputs: [
      {
        path: 'captioned/kite.webp',
        format: 'webp',
        width: 512,
        height: 512,
        bytes: 20480,
        sha256: 'x',
        placeholder: false,
      },
    ],
  },
  { type: 'task-started', task: lampPhoto },
  { type: 'task-failed', task: lampPhoto, error: 'prediction failed: NSFW' },
  { type: 'asset-failed', asset: 'captioned/lamp', error: 'prediction failed: NSFW', tasks: 3 },
  { type: 'warning', message: 'the lock was written by a newer assetgen' },
  {
    type: 'run-finished',
    made: 1,
    cached: 0,
    failed: 1,
    skipped: 0,
    spentUsd: 0.0031,
    durationMs: 3000,
    cancelled: false,
  },
];

function capture(io: Partial<CliIO> = {}) {
  const err: string[] = [];
  const writes: string[] = [];
  const value: CliIO = {
    out: () => {},
    err: (text) => err.push(text),
    isTTY: false,
    env: {},
    cwd: '/work/project',
    ...io,
  };
  return { io: value, err, writes };
}

function tty(columns: number, env: Record<string, string> = {}) {
  const captured = capture({ isTTY: true, env });
  captured.io.errStream = { write: (text) => captured.writes.push(text), columns };
  return captured;
}

/** Replays what was written to a terminal (\r, \n, erase line, cursor up; colours dropped) as its screen. */
function screen(writes: readonly string[]): string[] {
  const lines = [''];
  let row = 0;
  let col = 0;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences
  for (const [token, count, code] of writes.join('').matchAll(/\x1b\[(\d*)([A-Za-z])|\r|\n|[^\x1b\r\n]+/g)) {
    if (token === '\r') col = 0;
    else if (token === '\n') {
      row++;
      col = 0;
      if (row === lines.length) lines.push('');
    } else if (code === 'K') lines[row] = '';
    else if (code === 'A') row -= Number(count || 1);
    else if (code === 'm') continue;
    else {
      const line = (lines[row] ?? '').padEnd(col);
      lines[row] = line.slice(0, col) + token + line.slice(col + token.length);
      col += token.length;
    }
  }
  return lines;
}

const feed = (io: CliIO, list: readonly RunEvent[], options: ProgressOptions = {}) => {
  let clock = 0;
  const progress = createProgress(io, { refreshMs: 0, now: () => (clock += 1000), ...options });
  for (const event of list) progress.onEvent(event);
  progress.stop();
};

describe('progress in CI logs (not a terminal)', () => {
  it('prints one line per event and one per finished text step, exactly, then the table', () => {
    const { io, err } = capture();
    feed(io, events);
    expect(err).toEqual([
      'run     2 assets, 6 tasks (1 recipe, replicate, estimated $0.0061)',
      'start   captioned/kite idea (meta/meta-llama-3-70b-instruct)',
      'created captioned/kite idea (meta/meta-llama-3-70b-instruct) p1',
      'done    captioned/kite idea (meta/meta-llama-3-70b-instruct) 812ms $0.0001',
      'text    captioned/kite idea "A red kite over a beach."',
      'start   captioned/kite photo (black-forest-labs/flux-schnell)',
      'booting captioned/kite photo (black-forest-labs/flux-schnell) p2',
      'done    captioned/kite photo (black-forest-labs/flux-schnell) 2100ms $0.003',
      'cached  captioned/kite outputs[0] (output)',
      'asset   captioned/kite ok (1 file) [1/2]',
      'start   captioned/lamp photo (black-forest-labs/flux-schnell)',
      'failed  captioned/lamp photo (black-forest-labs/flux-schnell): prediction failed: NSFW',
      'asset   captioned/lamp failed: prediction failed: NSFW [2/2]',
      'warning: the lock was written by a newer assetgen',
      'Outputs (1 file, 20.0 KiB):',
      '  output/captioned/kite.webp  512×512  20.0 KiB',
    ]);
  });

  it('quiet: only failures and warnings', () => {
    const { io, err } = capture();
    feed(io, events, { quiet: true });
    expect(err).toEqual([
      'asset   captioned/lamp failed: prediction failed: NSFW [2/2]',
      'warning: the lock was written by a newer assetgen',
    ]);
  });

  it('FORCE_COLOR colours CI logs; plain otherwise', () => {
    const plain = capture();
    feed(plain.io, events);
    expect(plain.err.join('\n')).not.toContain('\x1b[');
    const forced = capture({ env: { FORCE_COLOR: '1' } });
    feed(forced.io, events);
    expect(forced.err.join('\n')).toContain('\x1b[33mwarning:\x1b[39m');
  });

  it('folds a long list of files into folders, and many folders into a count', () => {
    const files = (asset: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        path: `heroes/${asset}/${asset}-${i}.webp`,
        format: 'webp',
        width: 640,
        height: 360,
        bytes: 1024,
        sha256: 'x',
        placeholder: false,
      }));
    const assets = Array.from({ length: 14 }, (_, i) => `post${String(i).padStart(2, '0')}`);
    const { io, err } = capture({ cwd: '/work/project/site' });
    feed(io, [
      { ...(events[0] as RunEvent & { type: 'run-started' }), assets: 14, tasks: 0, outputFiles: 84 },
      ...assets.map(
        (asset): RunEvent => ({ type: 'asset-finished', asset, files: 6, outputs: files(asset, 6) }),
      ),
      events.at(-1) as RunEvent,
    ]);
    const table = err.slice(err.indexOf('Outputs (84 files, 84.0 KiB, by folder):'));
    expect(table).toEqual([
      'Outputs (84 files, 84.0 KiB, by folder):',
      ...assets.slice(0, 10).map((asset) => `  ../output/heroes/${asset}/  6 files  6.0 KiB`),
      '  … 4 more folders (24 files, 24.0 KiB)',
    ]);
    // a handful of files are listed one by one (sorted), with their dimensions
    const few = capture();
    feed(few.io, [
      events[0] as RunEvent,
      { type: 'asset-finished', asset: 'a', files: 3, outputs: files('b', 2).concat(files('a', 1)) },
      events.at(-1) as RunEvent,
    ]);
    expect(few.err.slice(-4)).toEqual([
      'Outputs (3 files, 3.0 KiB):',
      '  output/heroes/a/a-0.webp  640×360  1.0 KiB',
      '  output/heroes/b/b-0.webp  640×360  1.0 KiB',
      '  output/heroes/b/b-1.webp  640×360  1.0 KiB',
    ]);
  });
});

describe('progress on a terminal', () => {
  const upTo = (type: RunEvent['type'], nth = 1) => {
    let seen = 0;
    return events.slice(0, events.findIndex((event) => event.type === type && ++seen === nth) + 1);
  };

  it('draws a live status line: assets and tasks of total, percentage, ETA, cold boots, spend and estimate', () => {
    const live = tty(120);
    let clock = 0;
    const progress = createProgress(live.io, { refreshMs: 0, colour: false, now: () => (clock += 1000) });
    for (const event of upTo('cost', 2)) progress.onEvent(event);
    const lines = screen(live.writes);
    expect(lines.slice(0, -1)).toEqual(['✎ captioned/kite idea  A red kite over a beach.']);
    // 2 of 6 tasks done after 2 tasks of work took 8 s (clock: 1 s per call): 4 left → ETA 16 s.
    expect(lines.at(-1)).toMatch(
      /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] 0\/2 assets · 2\/6 tasks · 33% · ETA \d+s · \$0\.0031 of ~\$0\.0061 · 1 cold boot$/,
    );
    expect(live.err).toEqual([]);
  });

  it('shows streamed text live above the status line, then one line when the step is done', () => {
    const live = tty(60);
    const progress = createProgress(live.io, {
      refreshMs: 0,
      colour: false,
      now: (() => {
        let t = 0;
        return () => (t += 1000);
      })(),
    });
    for (const event of upTo('task-token', 2)) progress.onEvent(event);
    const during = screen(live.writes);
    expect(during).toHaveLength(2);
    expect(during[0]).toBe('  ✎ captioned/kite idea  A red kite over');
    progress.onEvent(events[6] as RunEvent); // the text step finishes
    const after = screen(live.writes);
    expect(after[0]).toBe('✎ captioned/kite idea  A red kite over a beach.');
    expect(after).toHaveLength(2);
    expect(after[1]).toMatch(/1\/6 tasks/);
    for (const line of after) expect(line.length).toBeLessThan(60);
  });

  it('fits every line to a narrow terminal by dropping the least important parts', () => {
    const live = tty(40);
    let clock = 0;
    const progress = createProgress(live.io, { refreshMs: 0, colour: false, now: () => (clock += 1000) });
    for (const event of upTo('task-token', 3)) progress.onEvent(event);
    const streaming = screen(live.writes);
    expect(streaming[0]).toBe('  ✎ captioned/kite idea  …over a beach.');
    for (const event of upTo('cost', 2).slice(6)) progress.onEvent(event);
    const status = screen(live.writes).at(-1) ?? '';
    expect(status).toMatch(/^. 0\/2 assets · 2\/6 tasks · 33%/);
    for (const line of [streaming[0] ?? '', streaming[1] ?? '', status]) expect(line.length).toBeLessThan(40);
  });

  it('ends with the live area cleared, finished assets above, then the table', () => {
    const live = tty(120);
    feed(live.io, events, { colour: false });
    expect(screen(live.writes)).toEqual([
      '✎ captioned/kite idea  A red kite over a beach.',
      '✓ captioned/kite  1 file',
      '✗ captioned/lamp: prediction failed: NSFW',
      'warning: the lock was written by a newer assetgen',
      'Outputs (1 file, 20.0 KiB):',
      '  output/captioned/kite.webp  512×512  20.0 KiB',
      '',
    ]);
  });

  it('colours on a terminal unless NO_COLOR (FORCE_COLOR wins)', () => {
    const coloured = tty(120);
    feed(coloured.io, events);
    expect(coloured.writes.join('')).toMatch(SGR);
    expect(coloured.writes.join('')).toContain('\x1b[32m✓\x1b[39m');
    expect(coloured.writes.join('')).toContain('\x1b[31m✗\x1b[39m');
    const noColour = tty(120, { NO_COLOR: '1' });
    feed(noColour.io, events);
    expect(noColour.writes.join('')).not.toMatch(SGR);
    const forced = tty(120, { NO_COLOR: '1', FORCE_COLOR: '1' });
    feed(forced.io, events);
    expect(forced.writes.join('')).toContain('\x1b[32m');
    const dumb = tty(120, { FORCE_COLOR: '0' });
    feed(dumb.io, events);
    expect(dumb.writes.join('')).not.toMatch(SGR);
  });

  it('counts a failed asset’s unfinished tasks as settled, so the percentage reaches 100', () => {
    const live = tty(120);
    const progress = createProgress(live.io, { refreshMs: 0, colour: false, now: () => 0 });
    for (const event of upTo('asset-failed')) progress.onEvent(event);
    expect(screen(live.writes).at(-1)).toMatch(/2\/2 assets · 6\/6 tasks · 100% · 1 failed/);
  });
});
