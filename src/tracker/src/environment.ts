/**
 * What the tracker needs from its host: a clock, timers, storage, the network, randomness and
 * hashing. The browser provides them below; unit tests in Node pass their own, so the session,
 * batching and retry logic runs without a DOM.
 */

/** The localStorage calls the tracker uses. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** What the page tells about itself, before the tracker strips it. */
export interface PageInfo {
  href: string;
  referrer: string;
  locale: string;
  width: number;
  /** Global Privacy Control or Do Not Track, as the browser reports them. */
  gpc: boolean;
  dnt: boolean;
}

export interface Environment {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** undefined where storage is blocked: state then lives as long as the page. */
  storage: KeyValueStorage | undefined;
  /** POSTs a body; resolves with the HTTP status, rejects on a network error. */
  post(url: string, body: string): Promise<number>;
  /** Queues a body for delivery after the page is gone; false when the browser refused it. */
  beacon(url: string, body: string): boolean;
  randomId(): string;
  /** Hex SHA-256; rejects where the page has no SubtleCrypto (not a secure context). */
  sha256(text: string): Promise<string>;
  page(): PageInfo;
}

function localStorageOrUndefined(): KeyValueStorage | undefined {
  try {
    const storage = window.localStorage;
    storage.setItem('sw_t', '1');
    storage.removeItem('sw_t');
    return storage;
  } catch {
    return undefined; // blocked (privacy settings, sandboxed frame)
  }
}

const hex = (bytes: ArrayBuffer | Uint8Array) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

export function browserEnvironment(): Environment {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  return {
    now: Date.now,
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as number),
    storage: localStorageOrUndefined(),
    // text/plain keeps cross-origin requests simple (no preflight); the collector parses it as JSON.
    post: (url, body) => fetch(url, { method: 'POST', body, keepalive: true, credentials: 'omit', headers: { 'content-type': 'text/plain' } }).then((r) => r.status),
    beacon: (url, body) => !!nav.sendBeacon && nav.sendBeacon(url, body),
    randomId: () => hex(crypto.getRandomValues(new Uint8Array(16))),
    sha256: async (text) => hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))),
    page: () => ({
      href: location.href,
      referrer: document.referrer,
      locale: nav.language,
      width: innerWidth,
      gpc: nav.globalPrivacyControl === true,
      dnt: nav.doNotTrack === '1',
    }),
  };
}
