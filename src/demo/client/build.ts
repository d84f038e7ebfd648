/** Builds the demo shop's script (client/shop.ts) with esbuild into client/dist/shop.js. */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLIENT_DIR = dirname(fileURLToPath(import.meta.url));

export async function buildDemoClient(): Promise<void> {
  await build({
    entryPoints: [join(CLIENT_DIR, 'shop.ts')],
    outfile: join(CLIENT_DIR, 'dist', 'shop.js'),
    format: 'iife',
    bundle: true,
    minify: true,
    sourcemap: true,
    target: 'es2020',
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDemoClient();
