/**
 * The repository root: the nearest directory above this file that holds a package.json. Found by
 * walking up rather than by a fixed depth, so that the same answer comes from the sources (src/),
 * the build (dist/) and the benchmarks' bundles (bench/out/), which sit at different depths.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = packageRoot();
