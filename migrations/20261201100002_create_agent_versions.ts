import type { Knex } from 'knex';

/** Immutable versions of an agent's prompt and LLM configuration (seed 002 `agent_versions`). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_versions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('agent_id').notNullable().references('agents.id').onDelete('CASCADE');
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.integer('version_number').notNullable();
    t.text('system_prompt').notNullable();
    t.jsonb('llm_config').notNullable();
    t.integer('rolled_back_from');
    t.string('created_by', 255);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['agent_id', 'version_number'], { indexName: 'idx_agent_versions_agent_version' });
  });
  // Versions are immutable: the database refuses updates, whatever the code does.
  await knex.raw(`
    CREATE FUNCTION agent_versions_immutable() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'agent_versions rows are immutable'; END $$ LANGUAGE plpgsql`);
  await knex.raw(
    `CREATE TRIGGER agent_versions_no_update BEFORE UPDATE ON agent_versions FOR EACH ROW EXECUTE FUNCTION agent_versions_immutable()`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('agent_versions');
  await knex.raw('DROP FUNCTION IF EXISTS agent_versions_immutable()');
}
