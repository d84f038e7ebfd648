/**
 * Work queued during one turn of the event loop, run back to back in that turn's check phase
 * (setImmediate), then what each work left for after the batch, in the same order. Under load,
 * libuv hands the server every socket that became readable in one poll: without this, each
 * request runs whole (parse, route, recommend, serialize, write) before the next one is parsed,
 * and each stage finds the processor's caches filled by the others. Batched, the requests of a
 * turn are parsed one after another, then recommended one after another (the index, the model's
 * tables and the engine's code stay warm), then answered one after another. A lone request waits
 * for nothing but the end of its own poll phase.
 *
 * Plain callbacks rather than promises: a request's promises, their reactions and the async
 * functions' frames were 2 KB of the 20 KB a request allocated (BENCHMARKS.md, session 21).
 */
export type BatchWork = () => (() => void) | void;

export class TurnBatch<C> {
  private works: BatchWork[] = [];
  private contexts: C[] = [];
  private readonly flush = (): void => {
    let { works, contexts } = this;
    if (works.length <= this.maxBatch) {
      this.works = [];
      this.contexts = [];
    } else {
      // The rest waits for the next turn, ahead of what arrives meanwhile.
      this.works = works.slice(this.maxBatch);
      this.contexts = contexts.slice(this.maxBatch);
      works = works.slice(0, this.maxBatch);
      contexts = contexts.slice(0, this.maxBatch);
      setImmediate(this.flush);
    }
    const after: Array<() => void> = [];
    const afterContexts: C[] = [];
    for (let i = 0; i < works.length; i++) {
      // A throw fails its own work only; the rest of the batch still runs.
      try {
        const then = works[i]!();
        if (then) {
          after.push(then);
          afterContexts.push(contexts[i]!);
        }
      } catch (error) {
        this.fail(error, contexts[i]!);
      }
    }
    for (let i = 0; i < after.length; i++) {
      try {
        after[i]!();
      } catch (error) {
        this.fail(error, afterContexts[i]!);
      }
    }
  };

  /**
   * `fail` hears of every throw, with the context its work was queued with. A batch runs at most
   * `maxBatch` works: the last work of a batch waits for all before it, and so does every
   * answer, since the answers go out after the batch's last work.
   */
  constructor(
    private readonly fail: (error: unknown, context: C) => void,
    private readonly maxBatch = Infinity,
  ) {}

  /**
   * Runs `work` with the rest of this turn's batch; the function it returns, if any, runs once
   * every work of the batch has run. Work queued while a batch runs goes into the next one.
   */
  run(work: BatchWork, context: C): void {
    this.contexts.push(context);
    if (this.works.push(work) === 1) setImmediate(this.flush);
  }
}
