/** Prometheus metrics (GET /metrics). Gauges read the feature store's counters at scrape time. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FeatureStore } from '../features/feature-store.ts';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(store: FeatureStore) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('sessionwise_events_applied', 'Events applied to the feature state.', () => store.stats().counters.applied);
  gauge('sessionwise_events_duplicate', 'Events dropped as duplicates of an applied event id.', () => store.stats().counters.duplicates);
  gauge('sessionwise_events_late', 'Events past the watermark, routed to the late topic.', () => store.stats().counters.late);
  gauge('sessionwise_sessions_active', 'Live sessions held in the feature state.', () => store.stats().activeSessions);
  gauge('sessionwise_session_state_bytes', 'Bytes held by the session table.', () => store.stats().sessionBytes);
  return {
    registry,
    eventsAccepted: counter('sessionwise_events_accepted_total', 'Events accepted by the collector.'),
    eventsRejected: counter('sessionwise_events_rejected_total', 'Events rejected by the collector, kept in the invalid topic.'),
    rejectedBodies: counter('sessionwise_bodies_rejected_total', 'Request bodies rejected as a whole (not JSON, too large, not a batch).'),
    streamsOpen: new Gauge({ name: 'sessionwise_streams_open', help: 'Live recommendation streams (GET /v1/stream) open.', registers: [registry] }),
    streamPushes: counter('sessionwise_stream_pushes_total', 'Recommendation lists pushed on live streams.'),
    recommendationSeconds: new Histogram({
      name: 'sessionwise_recommendation_seconds',
      help: 'Time to compute a recommendation list once its features are read (excluding waits for freshness and the feature reads).',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05],
      registers: [registry],
    }),
  };
}
