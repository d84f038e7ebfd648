import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { productNodeFlags } from '../bench/support.ts';

/** Every way of launching the product passes node the same flags (the benchmarks read npm start's). */
describe('launch flags', () => {
  const flags = productNodeFlags();

  it('npm start gives node flags', () => {
    assert.ok(flags.length > 0 && flags.every((flag) => flag.startsWith('--')), `npm start's node flags: ${flags.join(' ')}`);
  });

  it('the bin script passes the same ones', () => {
    const shebang = readFileSync('bin/sessionwise.js', 'utf8').split('\n')[0]!;
    assert.equal(shebang, `#!/usr/bin/env -S node ${flags.join(' ')}`);
  });

  it('the Docker image passes the same ones', () => {
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    assert.deepEqual(JSON.parse(entrypoint ?? 'null'), ['node', ...flags, 'bin/sessionwise.js']);
  });
});
