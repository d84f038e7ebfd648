#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.hugetlb=1 node --max-semi-space-size=64 --use-largepages=silent
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by npm ci and npm start).
// The environment and node flags (here, in npm start and in the Dockerfile; test/launch-flags.test.ts
// keeps them equal): a 64 MB young generation makes a third as many scavenges under load
// (BENCHMARKS.md, session 11); the state's typed arrays and node's code on 2 MB pages take most
// TLB misses out of a request's random reads (session 16).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    console.error('sessionwise: not built yet; run `npm run build` (npm ci does it for you).');
    process.exit(1);
  }
  throw err;
});
