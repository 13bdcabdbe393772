/** API-only process (docker-compose's `api` service): needs DATABASE_URL and TEMPORAL_ADDRESS. */
import { resolveAuthOptions } from '../platform/dev-secret';
import { attachToServices, runProcess } from '../platform/startup';
import { migrateToLatest } from '../stores/db';
import { startApiServer } from './start';

runProcess('api', async (context) => {
  // The API searches the knowledge base itself (its AI stack); with the embedded vector store, run API and
  // worker in one process (npm start).
  const { dbs, ai, keys, temporalAddress } = attachToServices(context, 'API');
  const auth = resolveAuthOptions(context.config);
  await migrateToLatest(dbs.platform);
  const api = await startApiServer(context, { dbs, ai, keys, auth, temporalAddress });
  context.logger.info({ url: api.url }, 'API listening');
});
