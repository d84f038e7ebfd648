import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { productLaunch } from '../bench/support.ts';

/** Every way of launching the product sets the same environment and node flags (the benchmarks read npm start's). */
describe('launch flags', () => {
  const { env, flags } = productLaunch();
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`);

  it('npm start gives node flags and the allocator its huge pages', () => {
    assert.ok(flags.length > 0 && flags.every((flag) => flag.startsWith('--')), `npm start's node flags: ${flags.join(' ')}`);
    assert.equal(env.GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1');
  });

  it('the bin script sets the same ones', () => {
    const shebang = readFileSync('bin/sessionwise.js', 'utf8').split('\n')[0]!;
    assert.equal(shebang, `#!/usr/bin/env -S ${[...assignments, 'node', ...flags].join(' ')}`);
  });

  it('the Docker image sets the same ones', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(dockerfile)?.[1];
    assert.deepEqual(JSON.parse(entrypoint ?? 'null'), ['node', ...flags, 'bin/sessionwise.js']);
    for (const assignment of assignments) assert.ok(dockerfile.split('\n').includes(`ENV ${assignment}`), `the Dockerfile sets ${assignment}`);
  });
});
