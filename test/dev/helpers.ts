/** A small project for dev-session tests: a recipe with two assets × two seeds and a local overlay. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { type DevCommandOptions, devCommand } from '../../src/cli/commands/dev.js';
import type { CliIO } from '../../src/cli/output.js';
import type { DevSession, DevState } from '../../src/dev/index.js';

export const recipeText = (
  options: { sunSubject?: string; broken?: boolean } = {},
): string => `# tiles for the dev tests
name: tiles
output: tiles
assets:
  - id: sun
    subject: ${options.sunSubject ?? 'a sun over hills'}
  - id: moon
    subject: a moon over the sea
variants:
  seed: [1, 2]
steps:
  - id: draft
    model: black-forest-labs/flux-schnell
    input:
      prompt: "{{ subject }}"
      aspect_ratio: "1:1"
      megapixels: "0.25"
      seed: "{{ seed }}"
  - id: badged
    image:
      - composite: { image: badge.png, gravity: southeast, width: 48 }
outputs:
  - path: "{{ id }}-{{ seed }}.png"
${options.broken === true ? '    widths: many\n' : ''}`;

/** Where the broken line's value is: `widths: many` on line 24, column 13. */
export const BROKEN_AT = 'tiles.yaml:24:13';

export async function makeBadge(file: string, colour: string): Promise<void> {
  await sharp({ create: { width: 64, height: 64, channels: 4, background: colour } })
    .png()
    .toFile(file);
}

export async function makeProject(): Promise<{ dir: string; recipe: string; badge: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'assetgen-dev-'));
  const recipe = join(dir, 'tiles.yaml');
  const badge = join(dir, 'badge.png');
  await makeBadge(badge, '#d03030');
  await writeFile(recipe, recipeText());
  return { dir, recipe, badge };
}

/** Polls until `value()` gives something (generous: the machine is shared and loaded). */
export async function waitUntil<T>(value: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const found = value();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Polls the session's state until `accept` holds. */
export async function waitForState(
  session: DevSession,
  accept: (state: DevState) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<DevState> {
  return waitUntil(
    () => {
      const state = session.state();
      return accept(state) ? state : undefined;
    },
    `${what}; state: ${JSON.stringify(session.state())}`,
    timeoutMs,
  );
}

/** The session ran the recipes after `after` and is idle again. */
export const ranSince = (after: number) => (state: DevState) =>
  state.pageVersion > after && state.phase !== 'running';

/** `assetgen dev tiles.yaml` through the CLI's command in-process, until `stop` aborts it; stderr kept. */
export function startTilesDevCommand(options: DevCommandOptions, env: CliIO['env'], cwd: string) {
  const err: string[] = [];
  const io: CliIO = { out: () => {}, err: (text) => err.push(text), isTTY: false, env, cwd };
  const stop = new AbortController();
  let session: DevSession | undefined;
  const exit = devCommand(['tiles.yaml'], options, io, {
    signal: stop.signal,
    onStarted: (started) => {
      session = started;
    },
  });
  return {
    err,
    exit,
    stop: () => stop.abort(),
    session: () => waitUntil(() => session, 'the dev session'),
  };
}
