/**
 * Item-to-item co-visitation learned from sessions as they stream: when an item follows others
 * within a session, each earlier item gains weight towards it (more for the one just before,
 * more forwards than backwards). Each item keeps between MAX_NEIGHBOURS and twice that of its
 * strongest neighbours, so memory stays bounded.
 */
const MAX_NEIGHBOURS = 100;
const WINDOW = 3;
// Integer weights (12/distance forwards, 6/distance backwards) stay small integers in the Maps,
// which V8 stores unboxed; fractional weights would allocate a heap number on every update.
const FORWARD = 12;
const BACKWARD = 6;

export class Covisitation {
  private readonly edges = new Map<number, Map<number, number>>();

  /** `previous` is the session's recent items, most recent first, before `item` was added. */
  observe(item: number, previous: number[]): void {
    let distance = 0;
    for (const p of previous) {
      if (p === item) continue;
      distance++;
      if (distance > WINDOW) break;
      this.bump(p, item, Math.round(FORWARD / distance));
      this.bump(item, p, Math.round(BACKWARD / distance));
    }
  }

  neighbours(item: number): ReadonlyMap<number, number> | undefined {
    return this.edges.get(item);
  }

  private bump(from: number, to: number, w: number): void {
    let m = this.edges.get(from);
    if (!m) {
      m = new Map();
      this.edges.set(from, m);
    }
    const current = m.get(to);
    if (current !== undefined) {
      m.set(to, current + w);
      return;
    }
    m.set(to, w);
    // Amortised pruning: let a list grow to twice the cap, then keep the strongest half.
    if (m.size >= 2 * MAX_NEIGHBOURS) prune(m);
  }

  snapshot(): Map<number, Map<number, number>> {
    return this.edges;
  }

  static restore(edges: Map<number, Map<number, number>>): Covisitation {
    const c = new Covisitation();
    for (const [k, v] of edges) c.edges.set(k, v);
    return c;
  }
}

function prune(m: Map<number, number>): void {
  const kept = [...m].sort((a, b) => b[1] - a[1]).slice(0, MAX_NEIGHBOURS);
  m.clear();
  for (const [k, v] of kept) m.set(k, v);
}
