/** Where the CLI writes: injectable so tests capture it and secrets can be scrubbed in one place. */

/** A terminal the live progress redraws in place (writes without a line break added). */
export interface LiveStream {
  write(text: string): void;
  /** Its width in characters, when known (lines are cut to it so that redrawing stays in place). */
  readonly columns?: number | undefined;
}

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (live progress, colour). */
  isTTY: boolean;
  /** stderr as a stream, for the live progress; absent: progress prints lines only. */
  errStream?: LiveStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** The secrets in an environment, which nothing the CLI writes may contain. */
export const secretsOf = (env: Readonly<Record<string, string | undefined>>): string[] =>
  [env.REPLICATE_API_TOKEN, env.REPLICATE_WEBHOOK_SECRET].filter((value): value is string => Boolean(value));

/** Removes every occurrence of the given secrets from a text. */
export function redact(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) if (secret.length >= 8) clean = clean.split(secret).join('[redacted]');
  return clean;
}

export function processIO(secrets: () => readonly string[]): CliIO {
  return {
    out: (text) => process.stdout.write(`${redact(text, secrets())}\n`),
    err: (text) => process.stderr.write(`${redact(text, secrets())}\n`),
    isTTY: process.stderr.isTTY === true,
    errStream: {
      write: (text) => process.stderr.write(redact(text, secrets())),
      get columns() {
        return process.stderr.columns;
      },
    },
    env: process.env,
    cwd: process.cwd(),
  };
}
