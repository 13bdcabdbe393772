/**
 * What row-level security costs per repository call: the same reads and writes through the application's pool
 * (role triage_app, each call a transaction that sets app.tenant_id: BEGIN, set_config, the query, COMMIT) and
 * as single statements on the owner's pool (no transaction, no policy: what the code did before).
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/row-level-security.ts [--runs 2000]
 * Works in a database of its own (10,000 tickets of two tenants), dropped at the end.
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import knexFactory, { type Knex } from 'knex';
import { createAppDb, createDb, migrateToLatest, withTenant } from '../src/stores/db';
import { percentile } from '../src/ml/metrics';
import { run } from './support';

async function time(runs: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 50; i++) await call(i); // warm-up: connections open, plans cached
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await call(i);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '2000' } } });
  const runs = Number(values.runs);
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl)
    throw new Error('set DATABASE_URL to a PostgreSQL server (a database is created and dropped)');
  const name = `bench_rls_${crypto.randomUUID().slice(0, 8)}`;
  const admin = knexFactory({ client: 'pg', connection: baseUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const owner = createDb(url.toString(), 1);
  const app = createAppDb(url.toString(), 1);
  try {
    await migrateToLatest(owner);
    const [tenant] = await owner('tenants').insert({ slug: 'bench', name: 'Bench' }).returning('*');
    const [other] = await owner('tenants').insert({ slug: 'other', name: 'Other' }).returning('*');
    await owner.raw(
      `INSERT INTO tickets (id, tenant_id, title, content, created_by, workflow_id)
       SELECT gen_random_uuid(), CASE WHEN i % 2 = 0 THEN ?::uuid ELSE ?::uuid END, 'bench', 'bench', 'bench',
              'ticket-' || i
         FROM generate_series(1, 10000) AS i`,
      [tenant.id, other.id],
    );
    await owner.raw('VACUUM ANALYZE');
    const ids: string[] = (await owner('tickets').where({ tenant_id: tenant.id }).select('id')).map(
      (r: { id: string }) => r.id,
    );
    const byId = (db: Knex, i: number) =>
      db('tickets')
        .where({ tenant_id: tenant.id, id: ids[i % ids.length] })
        .first();
    const page = (db: Knex) =>
      db('tickets')
        .where({ tenant_id: tenant.id })
        .orderBy([{ column: 'created_at', order: 'desc' }])
        .limit(50);
    const write = (db: Knex, i: number) =>
      db('tickets')
        .where({ tenant_id: tenant.id, id: ids[i % ids.length] })
        .update({ assignee: `agent-${i % 7}` });
    const cases: Array<[string, (i: number) => Promise<unknown>, (i: number) => Promise<unknown>]> = [
      ['ticket by id', (i) => byId(owner, i), (i) => withTenant(app, tenant.id, (trx) => byId(trx, i))],
      ['page of 50', () => page(owner), () => withTenant(app, tenant.id, (trx) => page(trx))],
      ['update one', (i) => write(owner, i), (i) => withTenant(app, tenant.id, (trx) => write(trx, i))],
    ];
    console.log(`${runs} calls each, one connection, sequential`);
    for (const [label, plain, scoped] of cases) {
      const before = await time(runs, plain);
      const after = await time(runs, scoped);
      const fmt = (t: number[]) =>
        `p50 ${percentile(t, 0.5).toFixed(2)} ms, p90 ${percentile(t, 0.9).toFixed(2)} ms`;
      console.log(`${label.padEnd(13)} owner, no RLS: ${fmt(before)} | withTenant + RLS: ${fmt(after)}`);
    }
  } finally {
    await Promise.all([owner.destroy(), app.destroy()]);
    await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.destroy();
  }
}

run(main);
