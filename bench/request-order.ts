/**
 * Which test prefix each request of the Diginetica benchmarks names, and its path: kept apart
 * from the loaded system so that a load generator in a process of its own (bench/open-loop-process.ts)
 * asks for the same requests without loading the product's code.
 */
import { mulberry32 } from '../src/prng.ts';

/** Fails on an --order the benchmarks do not know, before a minute of loading. */
export function checkOrder(order: string): void {
  if (order !== 'file' && order !== 'shuffled') throw new Error(`--order must be file or shuffled, got ${order}`);
}

/** The test prefix (its `test-<n>` number) that request i names, wrapping over `count` prefixes. */
export function requestOrder(order: string, count: number): (i: number) => number {
  checkOrder(order);
  if (order === 'file') return (i) => i % count;
  // Fisher-Yates with a fixed seed: the same order in every run and in both benchmarks.
  const random = mulberry32(20_260_101);
  const permutation = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [permutation[i], permutation[j]] = [permutation[j]!, permutation[i]!];
  }
  return (i) => permutation[i % count]!;
}

/** The recommendations of test prefix n's session (`test-<n>`), 20 of them. */
export function recommendationPath(prefix: number): string {
  return `/v1/recommendations?sessionId=test-${prefix}&k=20`;
}

/** The path of request i: the recommendations of its test prefix's session. */
export function recommendationPaths(order: string, count: number): (i: number) => string {
  const prefix = requestOrder(order, count);
  return (i) => recommendationPath(prefix(i));
}
