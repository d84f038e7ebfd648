/**
 * Item-to-item co-visitation learned from sessions as they stream: when an item follows others
 * within a session, each earlier item gains weight towards it (more for the one just before,
 * more forwards than backwards). Each item keeps its strongest MAX_NEIGHBOURS neighbours so
 * memory stays bounded.
 */
const MAX_NEIGHBOURS = 100;
const WINDOW = 3;
const FORWARD = 1;
const BACKWARD = 0.5;

export class Covisitation {
  private readonly edges = new Map<number, Map<number, number>>();

  /** `previous` is the session's recent items, most recent first, before `item` was added. */
  observe(item: number, previous: number[]): void {
    let distance = 0;
    for (const p of previous) {
      if (p === item) continue;
      distance++;
      if (distance > WINDOW) break;
      this.bump(p, item, FORWARD / distance);
      this.bump(item, p, BACKWARD / distance);
    }
  }

  neighbours(item: number): ReadonlyMap<number, number> | undefined {
    return this.edges.get(item);
  }

  get itemCount(): number {
    return this.edges.size;
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
    if (m.size >= MAX_NEIGHBOURS) {
      let weakest = -1;
      let weakestW = Infinity;
      for (const [k, v] of m) {
        if (v < weakestW) {
          weakest = k;
          weakestW = v;
        }
      }
      if (weakestW > w) return;
      m.delete(weakest);
    }
    m.set(to, w);
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
