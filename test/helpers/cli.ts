/** Runs the CLI in-process with captured output. */
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/output.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    isTTY: false,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
