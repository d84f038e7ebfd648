import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recommendationJson, SCORE_DECIMALS, type RecommendationAnswer } from './list-json.ts';

/** What the bytes must parse to: the answer with its scores rounded. */
function expected(answer: RecommendationAnswer, fresh?: boolean): unknown {
  const round = (score: number) => (Math.abs(score) < 1e9 ? Math.round(score * 10 ** SCORE_DECIMALS) / 10 ** SCORE_DECIMALS || 0 : Number.isFinite(score) ? score : null);
  return JSON.parse(JSON.stringify({ ...answer, fresh, items: answer.items.map((item) => ({ ...item, score: round(item.score) })) }));
}

describe('recommendationJson', () => {
  it('writes what JSON.stringify would, scores rounded', () => {
    const together = 'viewed together with 27606';
    const answer: RecommendationAnswer = {
      strategy: 'ranked',
      items: [
        { itemId: '27606', score: -0.7809208240158367, reason: 'viewed earlier in this session' },
        { itemId: '32333', score: 1.1713515302967479, reason: together, title: 'Mug', category: 'kitchen', price: 19.99, imageUrl: 'https://shop.example/m.jpg' },
        { itemId: '19645', score: 0, reason: together, price: 0.1 + 0.2 },
        { itemId: '1', score: 123456789.1234567, reason: together },
        { itemId: '2', score: -4e-7, reason: 'trending now' },
        { itemId: '3', score: 3.0000001, reason: 'trending now' },
        { itemId: '4', score: 2.5e12, reason: 'popular' },
        { itemId: '5', score: Number.NaN, reason: 'popular' },
      ],
      decisions: [{ itemId: 'x', rule: 'blocked', detail: 'listed in blockedItems' }],
    };
    const text = recommendationJson(answer, false).toString();
    assert.deepEqual(JSON.parse(text), expected(answer, false));
    assert.match(text, /^\{"strategy":"ranked","fresh":false,"items":\[/);
    assert.match(text, /"score":-0\.780921,/);
    assert.match(text, /"score":0,/);
    assert.match(text, /"score":123456789\.123457,/);
    assert.match(text, /"score":3,/, 'trailing zeros are dropped');
    assert.match(text, /"score":2500000000000,/);
    assert.match(text, /"score":null,/);
    assert.match(text, /"price":0\.30000000000000004[,}]/, 'prices are printed exactly');
  });

  it('escapes what needs escaping and encodes UTF-8', () => {
    const strange = ['say "hi"', 'back\\slash', 'tab\there', 'line\u2028sep', 'café', '日本', '😀', 'lone \ud800 surrogate', '\u0000\u001f\u007f', ''];
    const answer: RecommendationAnswer = {
      strategy: 'ranked',
      items: strange.map((text, i) => ({ itemId: text, score: i, reason: text, title: text })),
    };
    const bytes = recommendationJson(answer);
    const text = bytes.toString('utf8');
    assert.deepEqual(JSON.parse(text), expected(answer));
    assert.equal(text, JSON.stringify(JSON.parse(text)), 'escaped exactly as JSON.stringify escapes');
    assert.ok(!('fresh' in (JSON.parse(text) as object)), 'fresh is written only when given');
  });

  it('grows past its first buffer and returns a buffer of its own', () => {
    const long = 'x'.repeat(5000);
    const answer: RecommendationAnswer = {
      strategy: 'ranked',
      items: Array.from({ length: 100 }, (_, i) => ({ itemId: `item-${i}`, score: i / 7, reason: i % 2 ? long : `because ${i}`, title: 'é'.repeat(3000) })),
    };
    const first = recommendationJson(answer, true);
    assert.deepEqual(JSON.parse(first.toString()), expected(answer, true));
    const copy = Buffer.from(first);
    recommendationJson({ strategy: 'other', items: [] });
    assert.ok(first.equals(copy), 'a later answer does not overwrite an earlier one');
  });
});
