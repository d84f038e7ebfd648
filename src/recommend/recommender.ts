/** The Recommender interface: one request, the features it may read, a ranked list. */
import type { FeatureReader } from '../features/feature-store.ts';

export interface RecommendationRequest {
  sessionId?: string;
  userId?: string;
  k: number;
}

export interface Recommendation {
  itemId: string;
  score: number;
  /** Why it is here, in a few words a shopper or an operator can read. */
  reason: string;
  /** The item's index in the feature store, where the recommender had it: wrappers skip a dictionary lookup. */
  item?: number;
}

export interface Recommender {
  readonly name: string;
  /** Ranked candidates, best first; `allowed` filters items the rules forbid before ranking fills k. */
  recommend(request: RecommendationRequest, features: FeatureReader, allowed: (itemId: string) => boolean): Recommendation[];
}
