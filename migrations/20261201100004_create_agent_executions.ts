import type { Knex } from 'knex';

/** One row per agent run (seed 002 `agent_executions`); its id is the run id in the workflow id. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_executions', (t) => {
    t.uuid('id').primary();
    t.uuid('agent_id').notNullable().references('agents.id').onDelete('CASCADE');
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.uuid('trigger_id').references('agent_triggers.id').onDelete('SET NULL');
    t.string('trigger_type', 20).notNullable();
    t.integer('version_number').notNullable();
    t.string('workflow_id', 255).notNullable().unique();
    t.string('status', 20).notNullable().defaultTo('running');
    t.jsonb('input_payload');
    t.jsonb('output_result');
    t.text('error_message');
    t.string('model', 100);
    t.integer('prompt_tokens').notNullable().defaultTo(0);
    t.integer('completion_tokens').notNullable().defaultTo(0);
    t.decimal('cost_estimate', 12, 6).notNullable().defaultTo(0);
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true });
    t.integer('duration_ms');
    t.index(['agent_id', 'started_at'], 'idx_agent_executions_agent_started');
    t.index(['tenant_id', 'started_at'], 'idx_agent_executions_tenant_started');
  });
  await knex.raw(
    `ALTER TABLE agent_executions ADD CONSTRAINT agent_executions_status_valid CHECK (status IN ('running','awaiting_approval','completed','failed'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_executions');
}
