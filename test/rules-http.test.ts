import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeEvent, postEvents, startSystem, tempDir, type RunningSystem } from './support/harness.ts';

describe('rules on the recommendation route', () => {
  let running: RunningSystem;
  before(async () => {
    const rulesFile = join(tempDir('sessionwise-rules-'), 'rules.json');
    writeFileSync(rulesFile, JSON.stringify({ blockedItems: ['lantern'], restrictedCategories: [{ category: 'knives', minAge: 18 }] }));
    running = await startSystem({ rulesFile });
    const { url } = running;
    const items = [
      { id: 'tent', category: 'camping' },
      { id: 'stove', category: 'camping' },
      { id: 'lantern', category: 'camping' },
      { id: 'knife', category: 'knives' },
    ];
    await fetch(`${url}/v1/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items }) });
    for (let s = 0; s < 4; s++) {
      const session = { sessionId: `p-${s}`, anonymousId: `p-${s}` };
      await postEvents(url, ['tent', 'stove', 'lantern', 'knife'].map((itemId) => makeEvent('product_view', { ...session, itemId })));
    }
  });
  after(() => running.close());

  it('filters blocked and age-restricted items and explains why', async () => {
    const posted = await postEvents(running.url, [makeEvent('product_view', { sessionId: 'me', anonymousId: 'me', itemId: 'tent' })]);
    const minor = (await (await fetch(`${running.url}/v1/recommendations?sessionId=me&k=10&explain=true&after=${posted.body.token}`)).json()) as {
      items: Array<{ itemId: string }>;
      decisions: Array<{ itemId: string; rule: string }>;
    };
    const shown = minor.items.map((i) => i.itemId);
    assert.ok(shown.includes('stove'), JSON.stringify(shown));
    assert.ok(!shown.includes('lantern') && !shown.includes('knife'), JSON.stringify(shown));
    assert.deepEqual(minor.decisions.map((d) => `${d.itemId}:${d.rule}`).sort(), ['knife:restricted-age', 'lantern:blocked']);

    const adult = (await (await fetch(`${running.url}/v1/recommendations?sessionId=me&k=10&age=30`)).json()) as { items: Array<{ itemId: string }>; decisions?: unknown };
    assert.ok(adult.items.some((i) => i.itemId === 'knife'));
    assert.equal(adult.decisions, undefined, 'explanations only when asked');
  });
});
