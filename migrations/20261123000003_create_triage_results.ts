import type { Knex } from 'knex';

/** AI triage results: kept as history (seed 004 classifications), exactly one current per ticket (seed 001). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('triage_results', (t) => {
    t.bigIncrements('id');
    t.uuid('ticket_id').notNullable().references('tickets.id').onDelete('CASCADE');
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    // One per triage run: a retried activity cannot write the same run twice.
    t.uuid('run_id').notNullable().unique();
    t.string('category', 64).notNullable();
    t.string('urgency', 16).notNullable();
    t.string('suggested_priority', 16).notNullable();
    t.smallint('sentiment').notNullable();
    t.string('product', 64).notNullable();
    t.string('language', 16).notNullable();
    t.double('confidence').notNullable();
    t.text('reasoning').notNullable();
    t.text('draft_reply').notNullable();
    t.jsonb('citations').notNullable().defaultTo('[]');
    t.jsonb('passages').notNullable().defaultTo('[]');
    t.string('model_used', 100).notNullable();
    t.integer('latency_ms').notNullable();
    t.integer('prompt_tokens').notNullable().defaultTo(0);
    t.integer('completion_tokens').notNullable().defaultTo(0);
    t.boolean('is_current').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['ticket_id', 'created_at']);
    t.index(['tenant_id', 'category']);
  });
  await knex.raw(
    'CREATE UNIQUE INDEX triage_results_one_current ON triage_results (ticket_id) WHERE is_current',
  );
  await knex.raw(
    `ALTER TABLE triage_results ADD CONSTRAINT triage_sentiment_range CHECK (sentiment BETWEEN 1 AND 10)`,
  );
  await knex.raw(
    `ALTER TABLE triage_results ADD CONSTRAINT triage_confidence_range CHECK (confidence BETWEEN 0 AND 1)`,
  );
  await knex.raw(
    `ALTER TABLE triage_results ADD CONSTRAINT triage_urgency_valid CHECK (urgency IN ('low','medium','high','critical'))`,
  );
  await knex.raw(
    `ALTER TABLE triage_results ADD CONSTRAINT triage_priority_valid CHECK (suggested_priority IN ('low','medium','high','critical'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('triage_results');
}
