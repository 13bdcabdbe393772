/**
 * The product's Prometheus metrics (prom-client), one registry per process. The API serves it at /metrics; the
 * worker-only process on METRICS_PORT; `npm start` (one process) has both in the API's /metrics. The Temporal
 * SDK's own worker metrics are served by the SDK itself (TEMPORAL_METRICS_ADDRESS).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const metrics = {
  httpRequests: new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  }),
  httpDuration: new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
  ticketsCreated: new Counter({
    name: 'tickets_created_total',
    help: 'Tickets created through the API (idempotent replays not counted), by source',
    labelNames: ['source'] as const,
    registers: [registry],
  }),
  ticketCreatePhase: new Histogram({
    name: 'ticket_create_phase_seconds',
    help:
      "POST /v1/tickets, by phase: database (the ticket's insert, or a replayed key's lookup) and " +
      'workflow_start (starting its workflow on Temporal, when the ticket was not known to be started)',
    labelNames: ['phase'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  }),
  ticketsTriaged: new Counter({
    name: 'tickets_triaged_total',
    help: 'Triage outcomes recorded: triaged, or failed (the ticket went to ai_failed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  triageDuration: new Histogram({
    name: 'triage_duration_seconds',
    help: 'From ticket creation to its triage being recorded',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  }),
  slaAlerts: new Counter({
    name: 'sla_alerts_total',
    help: 'SLA warnings and breaches recorded, by clock and kind',
    labelNames: ['clock', 'kind'] as const,
    registers: [registry],
  }),
  slaAlertLateness: new Histogram({
    name: 'sla_alert_lateness_seconds',
    help: 'How long after its due time an SLA alert was recorded',
    labelNames: ['kind'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  }),
  itsmSyncs: new Counter({
    name: 'itsm_syncs_total',
    help: 'Outbound ITSM sync attempts, by system and outcome',
    labelNames: ['system', 'status'] as const,
    registers: [registry],
  }),
  notificationDeliveries: new Counter({
    name: 'notification_deliveries_total',
    help: 'SLA notification delivery attempts, by outcome (sent, retrying, failed)',
    labelNames: ['status'] as const,
    registers: [registry],
  }),
};

/** What the intake-first workflow-task slots report (src/worker/intake-first-slots.ts), read at each scrape. */
export interface WorkflowTaskSlotsReading {
  limit: number;
  issued: number;
  createsInFlight: number;
}
let readWorkflowTaskSlots: (() => WorkflowTaskSlotsReading) | undefined;

/** `npm start`'s worker registers its slot supplier here; the API's /metrics then shows how far it gave way. */
export function observeWorkflowTaskSlots(read: () => WorkflowTaskSlotsReading): void {
  readWorkflowTaskSlots = read;
}

new Gauge({
  name: 'worker_workflow_task_slots',
  help:
    "npm start's intake-first workflow-task slots: limit (what may be out now), issued (reserved or in use) and " +
    'creates_in_flight (the API creates the limit gives way to)',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    const reading = readWorkflowTaskSlots?.();
    if (!reading) return;
    this.set({ state: 'limit' }, reading.limit);
    this.set({ state: 'issued' }, reading.issued);
    this.set({ state: 'creates_in_flight' }, reading.createsInFlight);
  },
});
