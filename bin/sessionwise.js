#!/usr/bin/env -S node --max-semi-space-size=64
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by npm ci and npm start).
// The node flags (here, in npm start and in the Dockerfile; test/launch-flags.test.ts keeps them equal):
// a 64 MB young generation makes a third as many scavenges under load (BENCHMARKS.md, session 11).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    console.error('sessionwise: not built yet; run `npm run build` (npm ci does it for you).');
    process.exit(1);
  }
  throw err;
});
