import type { Knex } from 'knex';

/** What starts an agent (seed 002 `agent_triggers`): a signed webhook, a schedule, or a ticket event. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_triggers', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('agent_id').notNullable().references('agents.id').onDelete('CASCADE');
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.string('trigger_type', 20).notNullable();
    t.string('webhook_url', 500);
    // Sealed with the SecretBox (AAD: tenant id), shown once at creation.
    t.text('hmac_secret_sealed');
    t.jsonb('payload_schema');
    t.string('schedule_cron', 100);
    t.string('schedule_timezone', 64);
    t.string('ticket_event', 32);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['agent_id'], 'idx_agent_triggers_agent_id');
    t.index(['tenant_id', 'trigger_type', 'ticket_event'], 'idx_agent_triggers_type');
  });
  const checks: Record<string, string> = {
    agent_triggers_type_valid: `trigger_type IN ('webhook','schedule','ticket_event')`,
    agent_triggers_webhook_has_secret: `trigger_type <> 'webhook' OR hmac_secret_sealed IS NOT NULL`,
    agent_triggers_schedule_has_cron: `trigger_type <> 'schedule' OR (schedule_cron IS NOT NULL AND schedule_timezone IS NOT NULL)`,
    agent_triggers_event_valid: `trigger_type <> 'ticket_event' OR ticket_event IN ('ticket.created','ticket.triaged','sla.breached')`,
  };
  for (const [name, check] of Object.entries(checks)) {
    await knex.raw(`ALTER TABLE agent_triggers ADD CONSTRAINT ${name} CHECK (${check})`);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_triggers');
}
