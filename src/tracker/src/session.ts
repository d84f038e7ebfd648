/**
 * Device and session ids in first-party storage: the device id lasts until forget(); the session
 * id rolls over after `gapMs` without an event, like the server's sessions. Tabs of a site share
 * both through localStorage.
 */
import type { Environment, KeyValueStorage } from './environment.ts';

export const DEVICE_KEY = 'sw_d';
export const SESSION_KEY = 'sw_s';

export interface Sessions {
  readonly deviceId: string;
  /** The session an event at `now` belongs to; starts a new one after the gap. */
  touch(now: number): string;
  /** The current session without touching it; undefined before the first event. */
  current(): string | undefined;
}

/** Reads and writes storage, falling back to memory where it is missing or throws. */
export function safeStorage(storage: KeyValueStorage | undefined): KeyValueStorage {
  const memory = new Map<string, string>();
  return {
    getItem: (key) => {
      try {
        if (storage) return storage.getItem(key);
      } catch {
        // fall through to memory
      }
      return memory.get(key) ?? null;
    },
    setItem: (key, value) => {
      memory.set(key, value);
      try {
        storage?.setItem(key, value);
      } catch {
        // full or blocked: memory keeps it for this page
      }
    },
    removeItem: (key) => {
      memory.delete(key);
      try {
        storage?.removeItem(key);
      } catch {
        // nothing stored to remove
      }
    },
  };
}

export function createSessions(env: Environment, storage: KeyValueStorage, gapMs: number): Sessions {
  let deviceId = storage.getItem(DEVICE_KEY);
  if (!deviceId) storage.setItem(DEVICE_KEY, (deviceId = env.randomId()));
  const read = () => {
    const [id, last] = (storage.getItem(SESSION_KEY) ?? '').split('.');
    return id && last ? { id, last: Number(last) } : undefined;
  };
  return {
    deviceId,
    touch(now) {
      const stored = read();
      // A clock moved backwards keeps the session; only real inactivity ends it.
      const id = stored && now - stored.last <= gapMs ? stored.id : env.randomId();
      storage.setItem(SESSION_KEY, `${id}.${Math.max(now, stored?.id === id ? stored.last : 0)}`);
      return id;
    },
    current: () => read()?.id,
  };
}
