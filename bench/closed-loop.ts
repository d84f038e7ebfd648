/**
 * autocannon's closed loop (each connection sends its next request when the last is answered) in
 * a process of its own, as the open loops run (bench/open-loop.ts). The benchmark's own process
 * holds what it ran before (modules, the server's start, the answers sampled), and in some runs
 * its collector promoted autocannon's per-request objects: scavenges of 4-5 ms every 70 ms and a
 * mark-compact every 1.4 s, each holding answers unread for up to 14 ms, which the figures counted
 * as the server's latency (p99 8.9-10.2 ms against 6.3-7.1 in the runs without; BENCHMARKS.md,
 * session 23). A new process starts from a collected heap, and reports its collections beside
 * the figures (`clientGc`).
 */
import { planPaths, type PathPlan } from './open-loop.ts';
import { bundled, nodeJson, runAutocannon, type CannonOptions, type CannonRequest, type LoadResult } from './support.ts';

export interface ClosedLoopPlan {
  /** http://host:port */
  base: string;
  paths: PathPlan;
  connections: number;
  durationS: number;
  /** A run of its own first, on connections that then close (see the recommend benchmark's warm-up). */
  warmupS?: number;
  /** Seconds at the start of the measured run whose answers are left out of its figures. */
  uncountedS?: number;
  /** autocannon's overallRate (requests/s over all connections), without its coordinated-omission correction. */
  overallRate?: number;
}

export interface ClosedLoopResult extends LoadResult {
  /** Requests asked for, warm-up included: where the next phase's prefixes start (0 for a single path). */
  sent: number;
}

/** Runs the plan in this process. */
export async function closedLoop(plan: ClosedLoopPlan): Promise<ClosedLoopResult> {
  let sent = 0;
  const rate = plan.overallRate === undefined ? {} : { overallRate: plan.overallRate, ignoreCoordinatedOmission: true };
  // One path goes in the URL: autocannon then writes the same bytes every time, where a request of its own is built anew.
  const options: CannonOptions =
    'path' in plan.paths
      ? { url: plan.base + plan.paths.path, connections: plan.connections, duration: plan.durationS, ...rate }
      : { url: plan.base, connections: plan.connections, duration: plan.durationS, requests: [{ method: 'GET', setupRequest: rotating(planPaths(plan.paths), () => sent++) }], ...rate };
  if (plan.warmupS) await runAutocannon({ ...options, duration: plan.warmupS });
  // What the warm-up and this process's start left behind is collected before measuring.
  (globalThis as { gc?: () => void }).gc?.();
  const uncountedS = plan.uncountedS ?? 0;
  const result = await runAutocannon({ ...options, duration: uncountedS + plan.durationS }, uncountedS);
  return { ...result, sent };
}

function rotating(path: (i: number) => string, next: () => number): (request: CannonRequest) => CannonRequest {
  return (request) => ({ ...request, path: path(next()) });
}

/** `closedLoop` in a new process pinned to `core` (bench/closed-loop-process.ts, or `runner`). */
export async function closedLoopAside(plan: ClosedLoopPlan, core: number, runner?: string[]): Promise<ClosedLoopResult> {
  const script = runner ?? [await bundled('closed-loop-process')];
  return nodeJson<ClosedLoopResult>(core, ['--expose-gc', ...script, JSON.stringify(plan)]);
}
