import type { Knex } from 'knex';

/** Each model call, tool call and approval of a run, in order; unique per step so retried activities write once. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_execution_steps', (t) => {
    t.bigIncrements('id');
    t.uuid('execution_id').notNullable().references('agent_executions.id').onDelete('CASCADE');
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.integer('step_number').notNullable();
    t.string('kind', 16).notNullable();
    t.string('tool_name', 64);
    t.jsonb('input');
    t.jsonb('output');
    t.string('status', 16).notNullable();
    t.text('error');
    t.integer('prompt_tokens').notNullable().defaultTo(0);
    t.integer('completion_tokens').notNullable().defaultTo(0);
    t.integer('duration_ms').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['execution_id', 'step_number']);
  });
  await knex.raw(
    `ALTER TABLE agent_execution_steps ADD CONSTRAINT agent_execution_steps_kind_valid CHECK (kind IN ('model','tool','approval'))`,
  );
  await knex.raw(
    `ALTER TABLE agent_execution_steps ADD CONSTRAINT agent_execution_steps_status_valid CHECK (status IN ('ok','refused','error','approved','rejected'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_execution_steps');
}
