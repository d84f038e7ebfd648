/**
 * Builds @sessionwise/tracker with esbuild: for each entry (the core and each plugin) an ESM
 * module for bundlers (dist/esm) and a minified script for a script tag (dist/iife) that adds its
 * exports to `window.sessionwise`. Run directly, it builds, prints the sizes and fails when the
 * core script is over its budget (4 KB minified and gzipped).
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const PACKAGE_DIR = dirname(fileURLToPath(import.meta.url));
export const TRACKER_DIST = join(PACKAGE_DIR, 'dist');
export const CORE_BUDGET_BYTES = 4096;
/** Browsers of the last few years (fetch keepalive, IntersectionObserver, EventSource); keeps the output small. */
const TARGET = 'es2020';

/** Entry name → source file; the script-tag build of entry x is dist/iife/sessionwise[-x].js. */
const ENTRIES: Record<string, string> = {
  index: 'src/index.ts',
  impressions: 'src/plugins/impressions.ts',
  engagement: 'src/plugins/engagement.ts',
  recommendations: 'src/plugins/recommendations.ts',
};

export const scriptName = (entry: string) => (entry === 'index' ? 'sessionwise.js' : `sessionwise-${entry}.js`);

export interface BuiltScript {
  entry: string;
  file: string;
  bytes: number;
  gzipBytes: number;
}

export async function buildTracker(outdir = TRACKER_DIST): Promise<BuiltScript[]> {
  await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(PACKAGE_DIR, file)])),
    outdir: join(outdir, 'esm'),
    format: 'esm',
    bundle: true,
    target: TARGET,
    sourcemap: true,
    logLevel: 'warning',
  });
  const scripts: BuiltScript[] = [];
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const outfile = join(outdir, 'iife', scriptName(entry));
    await build({
      // Scripts may load in any order: each merges its exports into the one global.
      stdin: { contents: `import * as entry from './${file}'; Object.assign((window as any).sessionwise ??= {}, entry);`, resolveDir: PACKAGE_DIR, loader: 'ts', sourcefile: `${entry}-script.ts` },
      outfile,
      format: 'iife',
      bundle: true,
      minify: true,
      target: TARGET,
      logLevel: 'warning',
    });
    const code = readFileSync(outfile);
    scripts.push({ entry, file: outfile, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length });
  }
  return scripts;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const scripts = await buildTracker();
  for (const s of scripts) console.log(`${scriptName(s.entry).padEnd(32)} ${String(s.bytes).padStart(6)} B minified, ${String(s.gzipBytes).padStart(5)} B gzipped`);
  const core = scripts.find((s) => s.entry === 'index')!;
  if (core.gzipBytes > CORE_BUDGET_BYTES) {
    console.error(`tracker core is ${core.gzipBytes} B minified+gzipped, over its budget of ${CORE_BUDGET_BYTES} B`);
    process.exit(1);
  }
  console.log(`tracker core: ${core.gzipBytes} of ${CORE_BUDGET_BYTES} B budget`);
}
