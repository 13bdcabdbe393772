import type { Knex } from 'knex';

/** Tenant AI agents (seed 002 `agents`): prompt, LLM configuration, granted tools, run limits, lifecycle. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agents', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.string('name', 255).notNullable();
    t.text('description');
    t.string('kind', 32).notNullable().defaultTo('custom');
    t.string('status', 20).notNullable().defaultTo('draft');
    t.text('system_prompt').notNullable();
    t.jsonb('llm_config').notNullable().defaultTo('{}');
    // Granted tools: [{name, requires_approval}] from the fixed catalogue (seed 002's agent_tools, inlined).
    t.jsonb('tools').notNullable().defaultTo('[]');
    t.jsonb('limits').notNullable().defaultTo('{}');
    t.integer('current_version').notNullable().defaultTo(1);
    t.string('created_by', 255);
    t.timestamps(true, true);
    t.index(['tenant_id', 'status'], 'idx_agents_tenant_id_status');
  });
  await knex.raw(
    `ALTER TABLE agents ADD CONSTRAINT agents_status_valid CHECK (status IN ('draft','active','suspended','inactive'))`,
  );
  await knex.raw(
    `ALTER TABLE agents ADD CONSTRAINT agents_kind_valid CHECK (kind IN ('custom','ticket_enhancement','sla_digest','knowledge_gap'))`,
  );
  await knex.raw(
    `ALTER TABLE agents ADD CONSTRAINT agents_prompt_length CHECK (char_length(system_prompt) BETWEEN 10 AND 32000)`,
  );
  await knex.raw(
    `CREATE TRIGGER agents_updated_at BEFORE UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION set_updated_at()`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agents');
}
