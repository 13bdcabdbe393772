import type { Knex } from 'knex';
import { type SlaSnapshot, nearestDeadlineMs } from '../src/domain/live-view';

/** Fills `sla_due_at` for tickets written before it existed, so sorting by SLA urgency sees them at once. */
export async function up(knex: Knex): Promise<void> {
  let afterId = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows: Array<{ id: string; sla_clocks: SlaSnapshot | string | null }> = await knex('tickets')
      .whereNull('sla_due_at')
      .whereNotNull('sla_clocks')
      .whereNotIn('status', ['resolved', 'closed'])
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(500)
      .select('id', 'sla_clocks');
    if (rows.length === 0) return;
    for (const row of rows) {
      const snapshot = typeof row.sla_clocks === 'string' ? JSON.parse(row.sla_clocks) : row.sla_clocks;
      const due = snapshot?.clocks ? nearestDeadlineMs(snapshot as SlaSnapshot) : null;
      if (due !== null)
        await knex('tickets')
          .where({ id: row.id })
          .update({ sla_due_at: new Date(due) });
    }
    afterId = rows[rows.length - 1]!.id;
  }
}

/** Nothing to undo: the values are derived from `sla_clocks` and stay correct; the column goes with 20261201000001. */
export async function down(): Promise<void> {}
