import { relative, resolve } from 'node:path';
import { type InitStatus, initProject } from '../../scaffold/init.js';
import { STARTER_RECIPE } from '../../scaffold/starter-files.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../output.js';

const SAID: Record<InitStatus, string> = {
  written: 'wrote  ',
  appended: 'added  ',
  kept: 'kept   ',
  present: 'kept   ',
};

/** `assetgen init [dir]`: the starter files; existing files are kept and said so. Exit 0, or 2. */
export async function initCommand(dir: string, io: CliIO): Promise<number> {
  const result = await initProject(resolve(io.cwd, dir));
  const shown = (path: string) => relative(io.cwd, path) || '.';
  for (const file of result.files) {
    const name = shown(file.path);
    const why =
      file.status === 'kept'
        ? ' (it exists: not overwritten)'
        : file.status === 'present'
          ? ' (already ignores .assetgen/)'
          : file.status === 'appended'
            ? ' (the .assetgen/ line)'
            : '';
    io.out(`${SAID[file.status]}${name}${why}`);
  }
  io.out(`$schema: ${result.schemaRef} (relative to the recipe)`);
  if (result.note !== undefined) io.out(`note: ${result.note}`);
  const recipe = shown(resolve(result.dir, STARTER_RECIPE));
  io.out(`next: npx assetgen run ${recipe}   (offline until REPLICATE_API_TOKEN is set)`);
  return EXIT.ok;
}
