import type { Knex } from 'knex';

/** Where a tenant's SLA warnings and breaches are sent (seed 004: Slack). URLs and secrets are sealed. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notification_targets', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.string('type', 16).notNullable();
    t.string('name', 255).notNullable();
    // Slack webhook URLs are credentials themselves: stored sealed, shown only as their origin.
    t.text('url_sealed').notNullable();
    t.string('url_hint', 255).notNullable();
    t.text('secret_sealed');
    t.jsonb('events')
      .notNullable()
      .defaultTo(JSON.stringify(['warning', 'breach']));
    t.boolean('is_active').notNullable().defaultTo(true);
    t.timestamps(true, true);
    t.index(['tenant_id', 'is_active']);
  });
  await knex.raw(
    `ALTER TABLE notification_targets ADD CONSTRAINT notification_targets_type_valid CHECK (type IN ('slack','webhook'))`,
  );
  await knex.raw(
    `CREATE TRIGGER notification_targets_updated_at BEFORE UPDATE ON notification_targets FOR EACH ROW EXECUTE FUNCTION set_updated_at()`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notification_targets');
}
