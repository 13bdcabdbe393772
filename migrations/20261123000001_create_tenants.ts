import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Every table's updated_at is kept by this trigger function (seed 001).
  await knex.raw(`
    CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger AS $$
    BEGIN NEW.updated_at = now(); RETURN NEW; END;
    $$ LANGUAGE plpgsql`);
  await knex.schema.createTable('tenants', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.string('slug', 64).notNullable().unique();
    t.string('name', 255).notNullable();
    t.string('tier', 32).notNullable().defaultTo('standard');
    t.jsonb('settings').notNullable().defaultTo('{}');
    t.boolean('is_active').notNullable().defaultTo(true);
    t.timestamps(true, true);
    t.index(['tier']);
  });
  await knex.raw(
    `ALTER TABLE tenants ADD CONSTRAINT tenants_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$')`,
  );
  await knex.raw(`ALTER TABLE tenants ADD CONSTRAINT tenants_tier_valid CHECK (tier IN
    ('free','standard','business','enterprise','starter','professional','global_enterprise'))`);
  await knex.raw(
    `CREATE TRIGGER tenants_updated_at BEFORE UPDATE ON tenants FOR EACH ROW EXECUTE FUNCTION set_updated_at()`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tenants');
  await knex.raw('DROP FUNCTION IF EXISTS set_updated_at()');
}
