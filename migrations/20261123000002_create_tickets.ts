import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tickets', (t) => {
    t.uuid('id').primary();
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.string('external_id', 255);
    t.string('title', 500).notNullable();
    t.text('content').notNullable();
    t.string('requester_email', 320);
    t.string('status', 32).notNullable().defaultTo('new');
    t.string('priority', 16).notNullable().defaultTo('medium');
    t.boolean('priority_pinned').notNullable().defaultTo(false);
    t.string('customer_tier', 32).notNullable().defaultTo('standard');
    t.string('category', 64);
    t.string('source', 16).notNullable().defaultTo('api');
    t.string('assignee', 255);
    t.integer('escalation_level').notNullable().defaultTo(0);
    t.integer('reopen_count').notNullable().defaultTo(0);
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.string('created_by', 255).notNullable();
    t.string('idempotency_key', 255);
    t.string('request_hash', 64);
    t.string('workflow_id', 255).notNullable().unique();
    // Null until the workflow is known to be started: the outbox relay starts any it finds here.
    t.timestamp('workflow_started_at', { useTz: true });
    // Bumped by every workflow change: an older snapshot never overwrites a newer one.
    t.integer('state_version').notNullable().defaultTo(0);
    t.string('sla_state', 16).notNullable().defaultTo('on_track');
    t.jsonb('sla_clocks');
    t.timestamp('first_response_at', { useTz: true });
    t.timestamp('resolved_at', { useTz: true });
    t.timestamp('closed_at', { useTz: true });
    t.timestamps(true, true);
    t.unique(['tenant_id', 'external_id']);
    t.unique(['tenant_id', 'idempotency_key']);
    t.index(['tenant_id', 'status']);
    t.index(['tenant_id', 'priority']);
    t.index(['tenant_id', 'assignee']);
    t.index(['tenant_id', 'sla_state']);
    t.index(['updated_at']);
  });
  await knex.raw('CREATE INDEX tickets_tenant_created_id ON tickets (tenant_id, created_at DESC, id DESC)');
  await knex.raw(
    'CREATE INDEX tickets_workflow_not_started ON tickets (created_at) WHERE workflow_started_at IS NULL',
  );
  const checks: Record<string, string> = {
    tickets_status_valid: `status IN ('new','triaging','open','ai_failed','in_progress','pending_customer','pending_vendor','escalated','resolved','closed')`,
    tickets_priority_valid: `priority IN ('low','medium','high','critical')`,
    tickets_tier_valid: `customer_tier IN ('free','standard','business','enterprise','starter','professional','global_enterprise')`,
    tickets_source_valid: `source IN ('web','email','api','chat','phone')`,
    tickets_sla_state_valid: `sla_state IN ('on_track','at_risk','breached','met','paused')`,
    tickets_escalation_level_range: `escalation_level BETWEEN 0 AND 3`,
    tickets_resolved_has_time: `status NOT IN ('resolved') OR resolved_at IS NOT NULL`,
    tickets_closed_has_time: `status <> 'closed' OR closed_at IS NOT NULL`,
  };
  for (const [name, check] of Object.entries(checks)) {
    await knex.raw(`ALTER TABLE tickets ADD CONSTRAINT ${name} CHECK (${check})`);
  }
  await knex.raw(
    `CREATE TRIGGER tickets_updated_at BEFORE UPDATE ON tickets FOR EACH ROW EXECUTE FUNCTION set_updated_at()`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tickets');
}
