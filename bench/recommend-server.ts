/**
 * Server for the recommend benchmark (not a benchmark itself): the embedded system on a temporary
 * data dir (sync writes off), the Diginetica training sessions loaded as history and every test
 * prefix loaded as its own live session (`test-<n>`, n the line of test_pairs.tsv), then the HTTP
 * API on a free loopback port. Prints one JSON line on stdout once serving: port and load figures.
 * Exits on SIGTERM/SIGINT or when its parent goes (stdin closes), removing the data dir.
 *
 * usage: node --import tsx bench/recommend-server.ts <train_sessions.txt> <test_pairs.tsv> [recommender]
 * (recommender: a config `recommender` value; left out or "configured": the default configuration)
 */
import { createHttpServer } from '../src/serve/http.ts';
import { openDigineticaSystem } from './diginetica-system.ts';

const [trainPath, testPath, recommender = 'configured'] = process.argv.slice(2);
if (!trainPath || !testPath) {
  console.error('usage: recommend-server.ts <train_sessions.txt> <test_pairs.tsv> [recommender]');
  process.exit(2);
}

process.stdin.on('close', () => process.exit(0)).resume();

try {
  // Only the engine's settings come from the environment (the bench sets them).
  const { MODEL_FILE, PARAMS_FILE, EXPLORATION_SHARE } = process.env;
  // Its data dir is removed on any exit (signal, error, parent gone) by the exit hook of support.ts.
  const { system, figures } = await openDigineticaSystem(trainPath, testPath, recommender, { MODEL_FILE, PARAMS_FILE, EXPLORATION_SHARE });
  const app = await createHttpServer(system);
  await app.listen({ port: 0, host: '127.0.0.1' });
  await system.processor.start();
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  console.log(JSON.stringify({ port: address.port, ...figures }));
} catch (error) {
  console.error(`recommend-server: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
}
