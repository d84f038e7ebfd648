/**
 * A closed loop in a process of its own (not a benchmark itself; `closedLoopAside` starts it
 * pinned to a core): runs the plan given as JSON and prints the result as one JSON line.
 *
 * usage: node --expose-gc closed-loop-process.mjs '<ClosedLoopPlan as JSON>'
 */
import { closedLoop, type ClosedLoopPlan } from './closed-loop.ts';

const plan = JSON.parse(process.argv[2] ?? 'null') as ClosedLoopPlan | null;
if (!plan?.base || !plan.paths || !plan.connections || !plan.durationS) {
  console.error("usage: closed-loop-process '<plan as JSON: base, paths, connections, durationS>'");
  process.exit(2);
}
console.log(JSON.stringify(await closedLoop(plan)));
