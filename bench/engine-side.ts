/**
 * One side of `engine-ab` (not a benchmark itself): a checkout's engine with Diginetica loaded, as
 * the engine benchmark loads it, timed a block of requests at a time. `engine-ab` bundles this file
 * from each checkout, so that each side runs its own code, and its runner imports both bundles.
 */
import { performance } from 'node:perf_hooks';
import { createMetrics } from '../src/ops/metrics.ts';
import { recommendationList } from '../src/serve/recommendations.ts';
import { openDigineticaSystem, type EngineEnv } from './diginetica-system.ts';
import { requestOrder } from './request-order.ts';

export interface EngineSide {
  /** Asks for the next `requests` test prefixes one after another; µs a request. */
  timeBlock(requests: number): Promise<number>;
}

export async function openEngineSide(trainPath: string, testPath: string, recommender: string, env: EngineEnv, order: string): Promise<EngineSide> {
  const { system, testSessions } = await openDigineticaSystem(trainPath, testPath, recommender, env);
  const metrics = createMetrics(system.store);
  const prefix = requestOrder(order, testSessions);
  let next = 0;
  return {
    async timeBlock(requests) {
      const start = performance.now();
      for (let i = 0; i < requests; i++) await recommendationList(system, { sessionId: `test-${prefix(next++)}`, k: 20 }, metrics);
      return ((performance.now() - start) * 1000) / requests;
    },
  };
}
