/** Interns external string ids (items, categories) to dense integers for compact state. */
export class Dictionary {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  get size(): number {
    return this.names.length;
  }

  intern(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  lookup(name: string): number | undefined {
    return this.ids.get(name);
  }

  name(id: number): string {
    const n = this.names[id];
    if (n === undefined) throw new RangeError(`no name interned as ${id}`);
    return n;
  }

  snapshot(): string[] {
    return [...this.names];
  }

  static restore(names: string[]): Dictionary {
    const d = new Dictionary();
    for (const n of names) d.intern(n);
    return d;
  }
}
