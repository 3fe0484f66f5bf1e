import { relative, resolve } from 'node:path';

/** Recipe paths as given, resolved against the CLI's working directory (messages keep the user's form). */
export function recipePaths(files: readonly string[], cwd: string): string[] {
  return files.map((file) => relative(process.cwd(), resolve(cwd, file)) || file);
}
