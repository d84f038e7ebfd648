/**
 * GET /v1/recommendations, answered on node:http's request and response. The route carries
 * nearly all of a server's traffic, and Fastify's lifecycle around it (request and reply objects,
 * hooks, validation, send) cost 2-5% of its throughput (BENCHMARKS.md, session 14): the HTTP
 * server (serve/http.ts) hands this path here before Fastify sees it, and the Fastify route (what
 * `inject` and HEAD reach) calls the same function.
 */
import type { ServerResponse } from 'node:http';
import { parse } from 'node:querystring';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Metrics } from '../ops/metrics.ts';
import { decodeToken } from '../stream/processor.ts';
import type { System } from '../system.ts';
import { recommendationJson } from './list-json.ts';
import { listRequestFields, recommendationList } from './recommendations.ts';
import { TurnBatch } from './turn-batch.ts';

export const RECOMMENDATIONS_PATH = '/v1/recommendations';

const RecommendationQuery = Type.Object(
  { ...listRequestFields, after: Type.Optional(Type.String({ maxLength: 4096, description: 'Token from POST /v1/events: answer once those events are applied.' })) },
  { additionalProperties: false },
);
type Query = Static<typeof RecommendationQuery>;
const queryCheck = TypeCompiler.Compile(RecommendationQuery);

/**
 * Requests answered together at most. At 64 connections a turn brings up to 64 requests (two
 * groups of connections alternate), and each answer waits for the whole batch: 24 at a time gave
 * a p99 0.4-0.7 ms lower at 0-3% less throughput (BENCHMARKS.md, session 21).
 */
const MAX_BATCH = 24;

const JSON_HEADERS = ['content-type', 'application/json; charset=utf-8', 'access-control-allow-origin', '*'];
const STALE_HEADERS = [...JSON_HEADERS, 'sessionwise-fresh', 'false'];

/** Whether `url` (path and query) is this route's. */
export function isRecommendationsUrl(url: string): boolean {
  return url.startsWith(RECOMMENDATIONS_PATH) && (url.length === RECOMMENDATIONS_PATH.length || url.charCodeAt(RECOMMENDATIONS_PATH.length) === 0x3f); // '?'
}

/** Each field's JSON type, to convert query-string text as Fastify's validator did (TypeBox's `Value.Convert` and `Value.Default` took 4 µs a query). */
const FIELD_TYPES = new Map(Object.entries(RecommendationQuery.properties).map(([name, schema]) => [name, (schema as { type: string }).type]));
const DEFAULTS = Object.entries(RecommendationQuery.properties).flatMap(([name, schema]) => ('default' in schema ? [[name, schema.default as unknown] as const] : []));

/** A field's text as its type: numbers and booleans where the text is one, else left as it is (and failing the check). */
function convert(name: string, text: string | string[] | undefined): unknown {
  if (typeof text !== 'string') return text;
  switch (FIELD_TYPES.get(name)) {
    case 'integer':
    case 'number':
      return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    default:
      return text;
  }
}

/** The query string's fields, numbers and booleans converted and defaults filled, or why not. */
function readQuery(url: string): { query: Query } | { error: string } {
  const at = url.indexOf('?');
  const fields: Record<string, unknown> = {};
  if (at >= 0) {
    const text = parse(url.slice(at + 1));
    for (const name in text) fields[name] = convert(name, text[name]);
  }
  for (const [name, value] of DEFAULTS) if (fields[name] === undefined) fields[name] = value;
  if (queryCheck.Check(fields)) return { query: fields };
  const first = queryCheck.Errors(fields).First()!;
  return { error: `querystring${first.path || ''}: ${first.message}` };
}

export type RecommendationsHandler = (url: string, res: ServerResponse) => void;

/**
 * The route's handler: answers `url` on `res`. Failures are answered too (400 for the request's
 * fault, 500 otherwise, logged by `logError`), so callers need not wait for it.
 */
export function recommendationsEndpoint(system: System, metrics: Metrics, logError: (error: unknown) => void): RecommendationsHandler {
  const { processor, config } = system;
  const failed = (error: unknown, res: ServerResponse): void => {
    logError(error);
    if (!res.headersSent) sendError(res, 500, (error as Error).message);
    else res.destroy();
  };
  const batch = new TurnBatch<ServerResponse>(failed, MAX_BATCH);

  /**
   * Makes the list and its JSON now and leaves the sending for after the batch's last list:
   * sending each answer at once, between the lists, measured 0.79x the throughput (BENCHMARKS.md,
   * session 17), and every 16 lists no faster with a worse p99 (session 21). A store that reads
   * over the network answers when its reads arrive. The list is written as it is, `fresh` beside
   * it: a copy of it with `fresh` added (`{...list, fresh}`) ended in the old generation with the
   * answer's bytes, 2.9 MB/s of garbage there that made every scavenge slower (session 19).
   */
  const answer = (query: Query, fresh: boolean, res: ServerResponse): (() => void) | undefined => {
    const headers = fresh ? JSON_HEADERS : STALE_HEADERS;
    const list = recommendationList(system, query, metrics);
    if (list instanceof Promise) {
      list.then((read) => send(res, 200, headers, recommendationJson(read, fresh))).catch((error: unknown) => failed(error, res));
      return undefined;
    }
    const body = recommendationJson(list, fresh);
    return () => send(res, 200, headers, body);
  };

  /** A request naming events (`after`) is answered once they are applied, or the wait is over. */
  const answerAfter = async (query: Query, after: string, res: ServerResponse): Promise<void> => {
    let need: number[];
    try {
      need = decodeToken(after, system.log.partitions);
    } catch (error) {
      return sendError(res, 400, `after: ${(error as Error).message}`);
    }
    const fresh = await processor.waitFor(need, config.freshnessWaitMs);
    batch.run(() => answer(query, fresh, res), res);
  };

  return (url, res) => {
    try {
      const read = readQuery(url);
      if ('error' in read) return sendError(res, 400, read.error);
      const { query } = read;
      if (query.after === undefined) batch.run(() => answer(query, true, res), res);
      else answerAfter(query, query.after, res).catch((error: unknown) => failed(error, res));
    } catch (error) {
      failed(error, res);
    }
  };
}

/** An error answer: `{error}`, as the Fastify routes answer theirs. */
function sendError(res: ServerResponse, status: number, message: string): void {
  send(res, status, JSON_HEADERS, Buffer.from(JSON.stringify({ error: message })));
}

function send(res: ServerResponse, status: number, headers: string[], body: Buffer): void {
  res.writeHead(status, [...headers, 'content-length', String(body.length)]);
  res.end(body);
}
