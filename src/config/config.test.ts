import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('layers defaults, file, environment and flags in that order', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'c.json');
    writeFileSync(file, JSON.stringify({ port: 9000, dataDir: '/from-file', partitions: 4 }));
    const c = loadConfig({ file, env: { PORT: '9100' }, overrides: { dataDir: '/from-flag' } });
    assert.equal(c.port, 9100);
    assert.equal(c.dataDir, '/from-flag');
    assert.equal(c.partitions, 4);
    assert.equal(c.sessionGapMinutes, 30);
    assert.equal(c.host, '127.0.0.1');
  });

  it('serves the ranked engine when a model file is given, unless a strategy is named', () => {
    assert.equal(loadConfig({ env: {} }).recommender, 'session-knn');
    assert.equal(loadConfig({ env: { MODEL_FILE: '/m.json' } }).recommender, 'ranked');
    assert.equal(loadConfig({ env: { MODEL_FILE: '/m.json', RECOMMENDER: 'covisit' } }).recommender, 'covisit');
  });

  it('takes the event log and feature store as URLs, embedded by default', () => {
    const embedded = loadConfig({ env: {} });
    assert.equal(embedded.eventLog, 'embedded');
    assert.equal(embedded.featureStore, 'embedded');
    const distributed = loadConfig({ env: { EVENT_LOG: 'kafka://k1:9092,k2:9092', FEATURE_STORE: 'redis://r:6379' } });
    assert.equal(distributed.eventLog, 'kafka://k1:9092,k2:9092');
    assert.equal(distributed.featureStore, 'redis://r:6379');
    assert.throws(() => loadConfig({ env: { EVENT_LOG: 'http://k1:9092' } }), /invalid configuration at \/eventLog/);
  });

  it('explains what is wrong', () => {
    assert.throws(() => loadConfig({ env: { PORT: 'eighty' } }), /invalid configuration at \/port/);
    assert.throws(() => loadConfig({ env: {}, overrides: { partitions: 0 } }), /\/partitions/);
    assert.throws(() => loadConfig({ file: '/nonexistent/sw.json', env: {} }), /config file \/nonexistent\/sw.json/);
  });
});
