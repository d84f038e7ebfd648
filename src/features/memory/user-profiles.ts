/** Long-term per-user features: decayed category affinity and recent purchases. */
import { DAY } from '../../stream/windows.ts';

const AFFINITY_HALF_LIFE_MS = 30 * DAY;
const MAX_PURCHASES = 100;
/** The most recent purchases whose co-visitation a recommendation reads (readers provide their tables). */
export const RECENT_PURCHASES = 10;
const MAX_CATEGORIES = 32;

export interface UserProfile {
  /** category id → affinity, valid at `time`. */
  affinity: Map<number, number>;
  time: number;
  /** Purchased item ids, oldest first. */
  purchases: number[];
}

export function newProfile(): UserProfile {
  return { affinity: new Map(), time: 0, purchases: [] };
}

export function addAffinity(p: UserProfile, category: number, weight: number, time: number): void {
  if (time > p.time) {
    const decay = Math.pow(0.5, (time - p.time) / AFFINITY_HALF_LIFE_MS);
    for (const [c, w] of p.affinity) p.affinity.set(c, w * decay);
    p.time = time;
  }
  p.affinity.set(category, (p.affinity.get(category) ?? 0) + weight);
  if (p.affinity.size > MAX_CATEGORIES) {
    let weakest = -1;
    let w = Infinity;
    for (const [c, v] of p.affinity) {
      if (v < w) {
        weakest = c;
        w = v;
      }
    }
    p.affinity.delete(weakest);
  }
}

export function addPurchase(p: UserProfile, item: number): void {
  const at = p.purchases.indexOf(item);
  if (at >= 0) p.purchases.splice(at, 1);
  p.purchases.push(item);
  if (p.purchases.length > MAX_PURCHASES) p.purchases.shift();
}
