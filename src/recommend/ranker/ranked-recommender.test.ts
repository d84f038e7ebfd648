import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { train, withSession } from '../../eval/evaluate.ts';
import { CANDIDATE_FEATURES, DEFAULT_KNN_PARAMS } from '../session-knn.ts';
import { GBDT_FORMAT, type GbdtModel } from './gbdt.ts';
import { RANKER_FORMAT, RankedRecommender, type RankerFile } from './ranked-recommender.ts';

/** One tree: candidates with a kNN score above 0.5 score 1, the others -1. */
function rankerFile(featureNames: string[]): RankerFile {
  const knn = featureNames.indexOf('knn');
  const model: GbdtModel = {
    format: GBDT_FORMAT,
    featureNames,
    baseScore: 0,
    trees: [{ feature: [knn, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, -1, 1] }],
  };
  return { format: RANKER_FORMAT, candidates: 10, knn: DEFAULT_KNN_PARAMS, model, training: {} };
}

describe('RankedRecommender', () => {
  it('serves a model trained before the last features were appended, and refuses one of other features', async () => {
    const sessions = Array.from({ length: 50 }, (_, s) => (s % 2 ? ['tent', 'stove', 'lamp'] : ['tent', 'mug']));
    const { store } = await train(sessions);
    const older = CANDIDATE_FEATURES.slice(0, CANDIDATE_FEATURES.indexOf('hourOfDay'));
    const list = new RankedRecommender(rankerFile([...older])).recommend({ sessionId: 'example', k: 3 }, withSession(store, ['tent']), () => true);
    assert.equal(list.length, 3, 'an older model still ranks the session\'s candidates');
    assert.ok(list.every((r) => ['tent', 'stove', 'lamp', 'mug'].includes(r.itemId)));
    assert.doesNotThrow(() => new RankedRecommender(rankerFile([...CANDIDATE_FEATURES])));
    assert.throws(() => new RankedRecommender(rankerFile(['knn', 'blended'])), /retrain it with sessionwise train/);
    assert.throws(() => new RankedRecommender(rankerFile([...CANDIDATE_FEATURES, 'tomorrow'])), /retrain/);
  });
});
