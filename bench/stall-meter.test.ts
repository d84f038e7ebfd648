/**
 * The stall meter sees a core taken away: its process is stopped (SIGSTOP) for 80 ms while it
 * spins, as a hypervisor would stop the virtual core, and must report that gap.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { measureStalls } from './stall-meter.ts';
import { spinAndCount } from './stall-spinner.ts';

describe('stall meter', () => {
  it('counts the time its process was stopped', () => {
    // Stops this process 300 ms into the spin, for 80 ms (the shell runs on while it is stopped).
    const stopper = spawn('sh', ['-c', `sleep 0.3; kill -STOP ${process.pid}; sleep 0.08; kill -CONT ${process.pid}`], { stdio: 'ignore' });
    const stalls = spinAndCount(1);
    stopper.unref();
    assert.ok(stalls.maxMs >= 70, `longest gap ${stalls.maxMs} ms, stopped for 80`);
    assert.ok(stalls.over10Ms >= 1 && stalls.over5Ms >= stalls.over10Ms && stalls.over1Ms >= stalls.over5Ms);
    assert.ok(stalls.lostShare >= 0.07 && stalls.lostShare < 1, `lost share ${stalls.lostShare}`);
  });

  it('measures several cores at once, one line each', async () => {
    const stalls = await measureStalls([0, 1], 0.3, ['--import', 'tsx', 'bench/stall-spinner.ts']);
    assert.deepEqual(Object.keys(stalls), ['core0', 'core1']);
    for (const core of Object.values(stalls)) {
      assert.equal(core.seconds, 0.3);
      assert.ok(core.lostShare >= 0 && core.lostShare < 1 && core.maxMs >= 0);
    }
  });
});
