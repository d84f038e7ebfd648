/**
 * For the tracker's unit tests in Node: a manual clock with timers, storage in a map, and a
 * network whose answers the test chooses. Not part of any bundle.
 */
import { createHash } from 'node:crypto';
import type { Environment, KeyValueStorage, PageInfo } from './environment.ts';

export interface SentRequest {
  url: string;
  at: number;
  body: { events?: Array<Record<string, unknown>>; userId?: string };
  via: 'fetch' | 'beacon';
}

/** What the fake network does with a request: an HTTP status, or 'network-error'. */
export type Answer = number | 'network-error';

export class FakeEnvironment implements Environment {
  time = 1_700_000_000_000;
  readonly stored = new Map<string, string>();
  readonly requests: SentRequest[] = [];
  /** Answers for the next fetches, in order; 200 once they run out. */
  readonly answers: Answer[] = [];
  beaconAccepts = true;
  pageInfo: PageInfo = { href: 'https://shop.example/p/1?utm_source=mail&email=a%40b.c#reviews', referrer: '', locale: 'en-GB', width: 1280, gpc: false, dnt: false };
  private timers: Array<{ at: number; callback: () => void; handle: number }> = [];
  private nextHandle = 1;
  private ids = 0;

  storage: KeyValueStorage | undefined = {
    getItem: (key) => this.stored.get(key) ?? null,
    setItem: (key, value) => void this.stored.set(key, value),
    removeItem: (key) => void this.stored.delete(key),
  };

  now = () => this.time;

  setTimeout = (callback: () => void, ms: number) => {
    const handle = this.nextHandle++;
    this.timers.push({ at: this.time + Math.max(0, ms), callback, handle });
    return handle;
  };

  clearTimeout = (handle: unknown) => {
    this.timers = this.timers.filter((t) => t.handle !== handle);
  };

  post = async (url: string, body: string): Promise<number> => {
    this.requests.push({ url, at: this.time, body: JSON.parse(body) as SentRequest['body'], via: 'fetch' });
    const answer = this.answers.shift() ?? 200;
    if (answer === 'network-error') throw new TypeError('Failed to fetch');
    return answer;
  };

  beacon = (url: string, body: string): boolean => {
    if (this.beaconAccepts) this.requests.push({ url, at: this.time, body: JSON.parse(body) as SentRequest['body'], via: 'beacon' });
    return this.beaconAccepts;
  };

  randomId = () => `id-${++this.ids}`;

  sha256 = async (text: string) => createHash('sha256').update(text).digest('hex');

  page = () => ({ ...this.pageInfo });

  /** Moves the clock forward by `ms`, running each timer due on the way (and what it awaits). */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    await settle();
    while (true) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.callback();
      await settle();
    }
    this.time = until;
  }

  /** Event ids of every request body, in order. */
  sentIds(): string[][] {
    return this.requests.map((r) => (r.body.events ?? []).map((e) => e.id as string));
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
