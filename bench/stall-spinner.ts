/**
 * The stall meter's measuring process (not a benchmark itself; bench/stall-meter.ts starts it
 * pinned to a core): reads the clock in a tight loop for `seconds` and prints one JSON line of the
 * gaps between two readings. The loop allocates nothing, so this process's collector does not
 * pause it, and it imports nothing that could start work of its own: a gap is time the operating
 * system or, on a virtual machine, the hypervisor gave the core to something else.
 *
 * usage: node stall-spinner.mjs <seconds>
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

/** A gap this long counts as time away; shorter ones are the loop's own jitter. */
const COUNTED_MS = 0.5;

export interface Stalls {
  seconds: number;
  /** Gaps longer than 1, 5 and 10 ms. */
  over1Ms: number;
  over5Ms: number;
  over10Ms: number;
  maxMs: number;
  /** Share of the time lost in gaps over COUNTED_MS. */
  lostShare: number;
}

/** Spins on the clock for `seconds`, blocking this thread, and reports its gaps. */
export function spinAndCount(seconds: number): Stalls {
  let over1Ms = 0;
  let over5Ms = 0;
  let over10Ms = 0;
  let maxMs = 0;
  let lostMs = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let last = start;
  for (;;) {
    const now = performance.now();
    const gap = now - last;
    last = now;
    if (gap > COUNTED_MS) {
      lostMs += gap;
      if (gap > maxMs) maxMs = gap;
      if (gap > 1) over1Ms++;
      if (gap > 5) over5Ms++;
      if (gap > 10) over10Ms++;
    }
    if (now >= end) break;
  }
  return { seconds, over1Ms, over5Ms, over10Ms, maxMs: Math.round(maxMs * 100) / 100, lostShare: Math.round((lostMs / (seconds * 1000)) * 1e4) / 1e4 };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = Number(process.argv[2]);
  if (!(seconds > 0)) {
    console.error('usage: stall-spinner <seconds>');
    process.exit(2);
  }
  console.log(JSON.stringify(spinAndCount(seconds)));
}
