/**
 * A processor's working state for one partition: the memory adapter's FeatureState (dedup,
 * watermark, sessionization, identity, session features), with its shared aggregates (item
 * counters, co-visitation, session-index postings) swapped for recorders that report each
 * addition as an effect for Redis instead of keeping it. The same rules, one implementation.
 */
import type { LoggedEvent } from '../../events/logged.ts';
import { Covisitation } from '../../features/memory/covisitation.ts';
import { FeatureState, type ApplyOutcome, type CategoryOf, type FeatureStateSnapshot, type StreamConfig } from '../../features/memory/feature-state.ts';
import { ItemStatsTable } from '../../features/memory/item-stats.ts';
import { SessionIndex } from '../../features/memory/session-index.ts';

/** Receives the aggregate additions of the event being applied. */
export interface EffectSink {
  /** `category`: the item's interned category, -1 where none is known. */
  counted(item: number, time: number, metric: number, n: number, category: number): void;
  /** Co-visitation weights the event adds: from -> to -> weight. */
  covisited(weights: Map<number, Map<number, number>>): void;
  /** The event appended `item` to session record `record`; `posting` when that made the record a new posting of the item. */
  indexed(record: number, item: number, posting: boolean): void;
}

class CountRecorder extends ItemStatsTable {
  /**
   * The last category an event or the catalog named per item, as the memory table keeps it (not
   * checkpointed: after a restart an item's demand counts in its category again from the next
   * event that names it, or from the catalog's entry).
   */
  private readonly knownCategories = new Map<number, number>();

  constructor(private readonly sink: () => EffectSink) {
    super();
  }

  override add(item: number, time: number, metric: number, n = 1, category = -1): void {
    if (category >= 0) this.knownCategories.set(item, category);
    this.sink().counted(item, time, metric, n, this.knownCategories.get(item) ?? -1);
  }
}

class CovisitationRecorder extends Covisitation {
  constructor(private readonly sink: () => EffectSink) {
    super();
  }

  override observe(item: number, previous: number[]): void {
    // The memory adapter's weighting rule; an item seen twice among the previous adds twice.
    const weights = new Map<number, Map<number, number>>();
    Covisitation.additions(item, previous, (from, to, w) => {
      let tos = weights.get(from);
      if (!tos) weights.set(from, (tos = new Map()));
      tos.set(to, (tos.get(to) ?? 0) + w);
    });
    this.sink().covisited(weights);
  }
}

class IndexRecorder extends SessionIndex {
  private sink: () => EffectSink = () => {
    throw new Error('IndexRecorder used before adopt()');
  };

  /** Takes over an index's records (sequences are kept: a record's items are projected whole). */
  static adopt(index: SessionIndex, sink: () => EffectSink): IndexRecorder {
    const recorder = new IndexRecorder(index.capacity, index.postingLimit);
    recorder.load(index.snapshot());
    recorder.sink = sink;
    return recorder;
  }

  override append(id: number, item: number): void {
    const before = this.sessionCount(item);
    super.append(id, item);
    this.sink().indexed(id, item, this.sessionCount(item) > before);
  }
}

export class PartitionWork {
  readonly state: FeatureState;
  private current: EffectSink | undefined;

  constructor(config: StreamConfig, categoryOf: CategoryOf | undefined, restored?: FeatureStateSnapshot) {
    this.state = new FeatureState(config, categoryOf, restored);
    const sink = () => this.current ?? IGNORE;
    // FeatureState builds these itself; the fields are readonly to its users, not to its composition.
    const parts = this.state as unknown as { itemStats: ItemStatsTable; covisitation: Covisitation; sessionIndex: SessionIndex };
    parts.itemStats = new CountRecorder(sink);
    parts.covisitation = new CovisitationRecorder(sink);
    parts.sessionIndex = IndexRecorder.adopt(this.state.sessionIndex, sink);
  }

  /** Applies an event, reporting its aggregate additions to `sink` (none while catching up). */
  apply(partition: number, event: LoggedEvent, sink: EffectSink | undefined): ApplyOutcome {
    this.current = sink;
    try {
      return this.state.apply(partition, event);
    } finally {
      this.current = undefined;
    }
  }
}

const IGNORE: EffectSink = { counted() {}, covisited() {}, indexed() {} };
