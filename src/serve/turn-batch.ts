/**
 * Work queued during one turn of the event loop, run back to back in that turn's check phase
 * (setImmediate). Under load, libuv hands the server every socket that became readable in one
 * poll: without this, each request runs whole (parse, route, recommend, serialize, write) before
 * the next one is parsed, and each stage finds the processor's caches filled by the others. Batched,
 * the requests of a turn are parsed one after another, then recommended one after another (the
 * index, the model's tables and the engine's code stay warm), then answered one after another.
 * A lone request waits for nothing but the end of its own poll phase.
 */
export class TurnBatch {
  private queue: Array<() => void> = [];
  private readonly flush = (): void => {
    const queue = this.queue;
    this.queue = [];
    for (const start of queue) start();
  };

  /** Starts `work` with the rest of this turn's batch; settles as it does. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        // A synchronous throw rejects this run only; the rest of the batch still starts.
        try {
          work().then(resolve, reject);
        } catch (error) {
          reject(error);
        }
      };
      if (this.queue.push(start) === 1) setImmediate(this.flush);
    });
  }
}
