/** Where the CLI writes: injectable so tests capture it and secrets can be scrubbed in one place. */

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

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
    env: process.env,
    cwd: process.cwd(),
  };
}
