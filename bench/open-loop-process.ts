/**
 * An open loop in a process of its own (not a benchmark itself; `openLoopAside` starts it pinned
 * to a core): runs the plan given as JSON and prints the result as one JSON line.
 *
 * usage: node --expose-gc open-loop-process.mjs '<OpenLoopPlan as JSON>'
 */
import { openLoop, planPaths, type OpenLoopPlan } from './open-loop.ts';

const plan = JSON.parse(process.argv[2] ?? 'null') as OpenLoopPlan | null;
if (!plan?.base || !plan.paths) {
  console.error("usage: open-loop-process '<plan as JSON: base, rate, durationS, paths>'");
  process.exit(2);
}
console.log(JSON.stringify(await openLoop({ ...plan, path: planPaths(plan.paths) })));
