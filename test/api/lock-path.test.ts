/** The lock's default place: beside the first recipe, whatever the caller's `cwd` and the process's folder are. */
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockPathOf } from '../../src/api/model-resolution.js';
import { recipePaths } from '../../src/api/recipe-paths.js';

describe('lockPathOf', () => {
  it.each(['/tmp/a-project', '/var/tmp/deep/er/project', process.cwd()])(
    'puts the lock beside the first recipe for cwd %s',
    (cwd) => {
      const paths = recipePaths(['recipes/shop.yaml'], cwd);
      expect(lockPathOf(paths, undefined, cwd)).toBe(join(cwd, 'recipes', 'assetgen.lock'));
      expect(lockPathOf(paths, 'locks/a.lock', cwd)).toBe(join(cwd, 'locks', 'a.lock'));
      expect(relative(cwd, lockPathOf(recipePaths([join(cwd, 'x.yaml')], cwd), undefined, cwd))).toBe(
        'assetgen.lock',
      );
    },
  );
});
