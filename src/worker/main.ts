/** Worker-only process (docker-compose's `worker` service): needs DATABASE_URL and TEMPORAL_ADDRESS. */
import { startMetricsServer } from '../platform/metrics-server';
import { attachToServices, runProcess } from '../platform/startup';
import { startWorkerRuntime } from './start';

runProcess('worker', async (context) => {
  const { config, logger, lifecycle } = context;
  const { dbs, ai, keys, temporalAddress } = attachToServices(context, 'worker');
  await startWorkerRuntime(context, { dbs, ai, keys, temporalAddress, temporalUiUrl: config.temporal.uiUrl });
  // The product's own metrics of this process (activities: triage, SLA alerts, ITSM syncs, notifications).
  const metrics = await startMetricsServer(config.metricsPort, config.http.host);
  lifecycle.onStop('metrics', () => metrics.stop());
  logger.info({ metrics: metrics.url, taskQueue: config.temporal.taskQueue }, 'worker running');
});
