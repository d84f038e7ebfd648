/**
 * In-session feedback and exploration around any recommender.
 *
 * - Ignored items lose ground: an item the shopper was shown (an impression) and has not touched
 *   since drops `ignoredDemotion` places per time it was seen. Clicked items need no rule here:
 *   a click joins the session, so the candidates move towards it and its neighbours at once.
 * - Exploration: one slot in every `1 / explorationShare` is filled by Thompson sampling among the
 *   candidates just below the shown list, each with a Beta(1 + clicks, 1 + impressions - clicks)
 *   posterior of its click-through. Items never shown are uncertain and get tried; items shown
 *   and skipped everywhere fade; what earns clicks comes back. The slots are spread through the
 *   list, so truncation after the rules keeps them.
 */
import { NO_ENGAGEMENT, type FeatureReader } from '../../features/feature-store.ts';
import type { Recommendation, RecommendationRequest, Recommender } from '../recommender.ts';
import { sampleBeta } from './thompson.ts';

export interface FeedbackOptions {
  /** Places an item drops per time it was shown in this session and ignored. */
  ignoredDemotion: number;
  /** Share of the slots that explore; 0 turns exploration off. */
  explorationShare: number;
  /**
   * Candidates below the shown list that exploration draws from. Kept within what a ranked model
   * scores (the 30 candidates of the Diginetica model: 18 shown, then these 10): further down, a
   * list is filled with trending and popular items that no session signal chose.
   */
  explorationPool: number;
  random: () => number;
}

export const DEFAULT_FEEDBACK: FeedbackOptions = {
  ignoredDemotion: 5,
  explorationShare: 0.1,
  explorationPool: 10,
  random: Math.random,
};

export class FeedbackRecommender implements Recommender {
  readonly name: string;
  private readonly options: FeedbackOptions;

  constructor(
    private readonly inner: Recommender,
    options: Partial<FeedbackOptions> = {},
  ) {
    this.name = inner.name;
    this.options = { ...DEFAULT_FEEDBACK, ...options };
  }

  recommend(request: RecommendationRequest, features: FeatureReader, allowed: (itemId: string) => boolean): Recommendation[] {
    const { k } = request;
    const ignored = features.ignored(request);
    const every = this.options.explorationShare > 0 ? Math.max(2, Math.round(1 / this.options.explorationShare)) : 0;
    const explore = every === 0 ? 0 : Math.floor(k / every);
    if (explore === 0 && ignored.size === 0) return this.inner.recommend(request, features, allowed);

    const demoted = ignored.size > 0;
    const fetch = k + (demoted ? this.options.ignoredDemotion * 2 : 0) + (explore > 0 ? this.options.explorationPool : 0);
    let ranked = this.inner.recommend({ ...request, k: fetch }, features, allowed);
    if (demoted) ranked = demote(ranked, ignored, this.options.ignoredDemotion, features);
    if (explore === 0) return ranked.slice(0, k);

    // The pool is a range of `ranked` and the picks (a slot or two) are skipped by a search: a
    // copy of the pool, a set of the picks and a filtered copy of the list were, with the
    // splices below, half of what this wrapper allocated (BENCHMARKS.md, session 21).
    const shown = k - explore;
    const picks = this.thompson(ranked, shown, Math.min(ranked.length, shown + this.options.explorationPool), explore, features);
    const out: Recommendation[] = [];
    let e = 0;
    let p = 0;
    for (let position = 0; position < k; position++) {
      const exploreHere = (position + 1) % every === 0 && p < picks.length;
      if (!exploreHere) while (e < ranked.length && picks.includes(ranked[e]!)) e++;
      const next = exploreHere ? picks[p++]! : ranked[e++];
      if (next === undefined) break;
      // Built field by field: a spread copy with an overridden field is a slow object to make and to serialize.
      out.push(exploreHere ? { itemId: next.itemId, score: next.score, reason: `exploring: ${next.reason}`, item: next.item } : next);
    }
    return out;
  }

  /** The `n` candidates of `ranked[from..to)` with the highest sampled click-through. */
  private thompson(ranked: Recommendation[], from: number, to: number, n: number, features: FeatureReader): Recommendation[] {
    // The n highest draws, best first (ties: pool order), by insertion: n is a slot or two, where
    // sorting every draw through a comparator was most of the exploration's cost.
    const picks: Recommendation[] = [];
    const best: number[] = [];
    for (let c = from; c < to; c++) {
      const candidate = ranked[c]!;
      const item = candidate.item ?? features.itemIndex(candidate.itemId);
      const { impressions, clicks } = item === undefined ? NO_ENGAGEMENT : features.engagement(item);
      const hits = Math.min(clicks, impressions);
      const draw = sampleBeta(1 + hits, 1 + impressions - hits, this.options.random);
      let at = picks.length;
      while (at > 0 && best[at - 1]! < draw) at--;
      if (at >= n) continue;
      // Shifted by hand: splice returns an array of what it removed, garbage on every insertion.
      for (let j = Math.min(picks.length, n - 1); j > at; j--) {
        picks[j] = picks[j - 1]!;
        best[j] = best[j - 1]!;
      }
      picks[at] = candidate;
      best[at] = draw;
    }
    return picks;
  }
}

/** Stable re-order by position plus `places` per ignored sighting. */
function demote(ranked: Recommendation[], ignored: ReadonlyMap<number, number>, places: number, features: FeatureReader): Recommendation[] {
  const keyed = ranked.map((r, position) => {
    const item = r.item ?? features.itemIndex(r.itemId);
    const seen = item === undefined ? 0 : (ignored.get(item) ?? 0);
    return { r, at: position + places * seen };
  });
  keyed.sort((a, b) => a.at - b.at);
  return keyed.map((x) => x.r);
}
