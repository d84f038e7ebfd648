/**
 * Open-loop load at a fixed rate: request i is due at start + i / rate whatever the answers (so a
 * slow answer cannot delay later requests and hide itself, unlike a closed loop), over a pool of
 * keep-alive connections; latency runs from the write of the request to the last byte of its
 * answer.
 *
 * Written on raw sockets, not node:http: a client of http.request and an Agent spends about as
 * much of its core on a request as the server does, and at 5,000-10,000 requests/s its own queue
 * set the p99 (52 ms against a server that answers in 20 µs). Here a request is one write of
 * pre-built bytes and an answer is found by its Content-Length, which keeps the client's share
 * small; `sendLagMs` says how late the client wrote its requests, so a client that falls behind
 * shows instead of passing for a slow server.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { recommendationPaths } from './request-order.ts';
import { bundled, nodeJson, summarize, watchClientGc, type Summary } from './support.ts';

export interface OpenLoopOptions {
  /** http://host:port */
  base: string;
  /** The path (and query) of request i. */
  path: (i: number) => string;
  rate: number;
  durationS: number;
  /** Connections at most; a request due while all are busy is skipped and counted. */
  maxInFlight?: number;
}

export interface OpenLoopResult {
  sent: number;
  answered: number;
  failed: number;
  skipped: number;
  achievedRate: number;
  latencyMs: Summary;
  /** How long after it was due each request was written. */
  sendLagMs: { p99: number; max: number };
  clientGcMaxMs: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

/** One keep-alive connection with at most one request in flight. */
class Connection {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes the answer in flight takes in all, once its head is read (-1: head not read yet). */
  private answerBytes = -1;
  private status = 0;
  private sentAt = 0;
  private onAnswer: ((status: number, latencyMs: number) => void) | undefined;

  constructor(
    readonly socket: Socket,
    private readonly onBroken: (error: Error) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  send(request: Buffer, onAnswer: (status: number, latencyMs: number) => void): void {
    this.onAnswer = onAnswer;
    this.sentAt = performance.now();
    this.socket.write(request);
  }

  private read(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.answerBytes < 0) {
      const head = this.pending.length === 1 ? chunk : Buffer.concat(this.pending);
      const end = head.indexOf(HEADER_END);
      if (end < 0) return;
      const text = head.toString('latin1', 0, end);
      const length = CONTENT_LENGTH.exec(text);
      if (!length) return this.fail(new Error(`answer without Content-Length: ${text.slice(0, 200)}`));
      this.status = Number(text.slice(9, 12));
      this.answerBytes = end + HEADER_END.length + Number(length[1]);
    }
    if (this.pendingBytes < this.answerBytes) return;
    if (this.pendingBytes > this.answerBytes) return this.fail(new Error('more bytes than the answer: the server sent something unasked'));
    const done = this.onAnswer!;
    const latency = performance.now() - this.sentAt;
    this.pending = [];
    this.pendingBytes = 0;
    this.answerBytes = -1;
    this.onAnswer = undefined;
    done(this.status, latency);
  }

  private fail(error: Error): void {
    if (this.onAnswer === undefined && error.message === 'connection closed') return;
    const pending = this.onAnswer;
    this.onAnswer = undefined;
    this.socket.destroy();
    if (pending) pending(0, 0);
    this.onBroken(error);
  }
}

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  // The latency is taken on this side: a collection of garbage an earlier phase left here
  // (autocannon's bookkeeping) would stall reading answers and count against the server. Collect
  // it first, and report the longest pause of this process while measuring.
  (globalThis as { gc?: () => void }).gc?.();
  const gcWatch = watchClientGc(0);

  const { hostname, port, host } = new URL(options.base);
  // The headers autocannon sends, in its order: node's HTTP parser is compiled for the headers it
  // has seen, and a phase after autocannon's with others (a lone lower-case `host`) measured the
  // server re-optimizing it (BENCHMARKS.md, session 18).
  const headers = `Host: ${host}\r\nConnection: keep-alive`;
  const maxInFlight = options.maxInFlight ?? 256;
  const total = Math.round(options.rate * options.durationS);
  const latencies = new Float64Array(total);
  const lags = new Float64Array(total);
  const idle: Connection[] = [];
  const all: Connection[] = [];
  let broken: Error | undefined;
  let answered = 0;
  let failed = 0;
  let sent = 0;
  let skipped = 0;
  let inFlight = 0;
  /** Connections being opened: they count against maxInFlight before they are up. */
  let opening = 0;

  const open = (): Promise<Connection> =>
    new Promise((resolveOpen, reject) => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.once('connect', () => resolveOpen(new Connection(socket, (error) => (broken ??= error))));
      socket.once('error', reject);
    });
  // Connections are opened before the clock starts: a connect is not part of any request's latency.
  for (let c = 0; c < Math.min(maxInFlight, Math.ceil(options.rate / 100)); c++) all.push(await open());
  idle.push(...all);

  const start = performance.now();
  await new Promise<void>((done, fail) => {
    const finish = (): void => {
      if (sent + skipped >= total && inFlight === 0) done();
    };
    const tick = (): void => {
      if (broken) return fail(broken);
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * options.rate) + 1);
      while (sent + skipped < due) {
        const connection = idle.pop();
        if (!connection && all.length + opening >= maxInFlight) {
          skipped++;
          continue;
        }
        // Its place in the schedule counts the skipped requests before it.
        const dueMs = ((sent + skipped) / options.rate) * 1000;
        const i = sent++;
        inFlight++;
        if (connection) {
          write(connection, i, dueMs);
          continue;
        }
        // Grows the pool without waiting: this request is sent once the connection is up.
        opening++;
        void open().then((added) => {
          opening--;
          all.push(added);
          write(added, i, dueMs);
        }, fail);
      }
      if (sent + skipped < total) setTimeout(tick, 0.5);
      else finish();
    };
    /** Writes the i-th request sent, which was due `dueMs` after the start (skipped ones count in the schedule). */
    const write = (connection: Connection, i: number, dueMs: number): void => {
      lags[i] = performance.now() - start - dueMs;
      connection.send(Buffer.from(`GET ${options.path(i)} HTTP/1.1\r\n${headers}\r\n\r\n`, 'latin1'), (status, latency) => {
        inFlight--;
        if (status === 200) latencies[answered++] = latency;
        else failed++;
        if (status !== 0) idle.push(connection);
        finish();
      });
    };
    tick();
  });
  const elapsed = (performance.now() - start) / 1000;
  for (const connection of all) connection.socket.destroy();
  const clientGcMaxMs = gcWatch.stop().longestPauseMs;
  const lag = summarize(lags.subarray(0, sent));
  return {
    sent,
    answered,
    failed,
    skipped,
    achievedRate: Math.round(sent / elapsed),
    latencyMs: summarize(latencies.subarray(0, answered)),
    sendLagMs: { p99: lag.p99, max: lag.max },
    clientGcMaxMs,
  };
}

/** What an open loop in a process of its own asks for: one path, or the test prefixes' recommendations from request `from` on. */
export type PathPlan = { path: string } | { prefixes: { order: string; count: number; from: number } };

export type OpenLoopPlan = Omit<OpenLoopOptions, 'path'> & { paths: PathPlan };

/**
 * The test prefixes handed out phase after phase: each phase's plan starts where the previous
 * phase's requests stopped, so that no phase finds the answers of the one before in the caches.
 */
export class PrefixRotation {
  private next = 0;

  constructor(
    private readonly order: string,
    private readonly count: number,
  ) {}

  /** The next phase's requests. */
  plan(): PathPlan {
    return { prefixes: { order: this.order, count: this.count, from: this.next } };
  }

  /** Moves past the requests a phase asked for. */
  advance(sent: number): void {
    this.next += sent;
  }
}

/** The path of each request a plan asks for. */
export function planPaths(plan: PathPlan): (i: number) => string {
  if ('path' in plan) return () => plan.path;
  const { order, count, from } = plan.prefixes;
  const path = recommendationPaths(order, count);
  return (i) => path(from + i);
}

/**
 * `openLoop` in a new process pinned to `core` (bench/open-loop-process.ts, or `runner`): a
 * benchmark process that ran earlier phases holds their garbage, and its collector paused it for
 * up to 10 ms while it measured, holding answers unread and requests unsent (session 19).
 */
export async function openLoopAside(plan: OpenLoopPlan, core: number, runner?: string[]): Promise<OpenLoopResult> {
  const script = runner ?? [await bundled('open-loop-process')];
  return nodeJson<OpenLoopResult>(core, ['--expose-gc', ...script, JSON.stringify(plan)]);
}
