/**
 * How long the machine itself takes a core away from whatever runs on it: one process pinned to
 * each core (bench/stall-spinner.ts) reads the clock in a tight loop, and every gap between two
 * readings is time nothing of it ran. On the benchmark VMs the hypervisor takes a core away for
 * 10-50 ms a few times in 20 s without the guest counting it as steal time (BENCHMARKS.md, session
 * 19); at 10,000 requests/s a 25 ms gap queues 250 requests, so these gaps bound what an open
 * loop's p99 can show on such a machine.
 */
import type { Stalls } from './stall-spinner.ts';
import { bundled, nodeJson } from './support.ts';

/** The stalls of each of `cores` over the same `seconds`, by one spinning process per core; `spinner` defaults to the bundled stall-spinner. */
export async function measureStalls(cores: number[], seconds: number, spinner?: string[]): Promise<Record<string, Stalls>> {
  const script = spinner ?? [await bundled('stall-spinner')];
  const measured = await Promise.all(cores.map((core) => nodeJson<Stalls>(core, [...script, String(seconds)])));
  return Object.fromEntries(cores.map((core, i) => [`core${core}`, measured[i]!]));
}
