/**
 * The second wall behind the API's policy validation: a policy the API would refuse (422) that still reaches a
 * ticket's workflow — an older row, a direct database edit — makes its SLA `unavailable` with the reason,
 * recorded once in the audit log, and leaves the ticket workable: its live state answers, triage runs, actions
 * apply, and the workflow never fails a task over it.
 */
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

/** A tenant whose stored policy bypassed the API's validation. */
async function tenantWithStoredPolicy(slaPolicy: unknown): Promise<TestTenant> {
  const tenant = await h.createTenant();
  const row = await h.db('tenants').where({ id: tenant.id }).first();
  await h
    .db('tenants')
    .where({ id: tenant.id })
    .update({ settings: JSON.stringify({ ...row.settings, sla_policy: slaPolicy }) });
  return tenant;
}

async function expectWorkableWithSlaUnavailable(tenant: TestTenant, reason: RegExp): Promise<void> {
  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: 'The nightly backup job did not run', priority: 'medium' },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;

  // The live state answers, with the SLA unavailable and why; triage ran as usual.
  const live = await eventually(
    async () => {
      const r = await h.call('GET', `/v1/tickets/${id}/workflow`, { token: tenant.tokens.agent });
      return r.status === 200 && r.body.status === 'open' ? r.body : undefined;
    },
    60_000,
    250,
  );
  expect(live.sla).toMatchObject({ state: 'unavailable', clocks: [] });
  expect(live.sla.reason).toMatch(reason);

  // Recorded once, with the reason, where agents and ops read the ticket's history.
  const recorded = await eventually(async () => {
    const rows = await h.db('audit_log').where({ ticket_id: id, action: 'sla_unavailable' });
    return rows.length > 0 ? rows : undefined;
  });
  expect(recorded).toHaveLength(1);
  expect(JSON.stringify(recorded[0].changes)).toMatch(reason);

  // Legal actions still apply.
  const replied = await h.call('POST', `/v1/tickets/${id}/messages`, {
    token: tenant.tokens.agent,
    body: { body: 'We are looking into the backup job.' },
  });
  expect(replied.status).toBe(200);
  const resolved = await h.call('POST', `/v1/tickets/${id}/resolve`, {
    token: tenant.tokens.agent,
    body: { resolution: 'Backup job rescheduled' },
  });
  expect(resolved.status).toBe(200);
  expect(resolved.body.status).toBe('resolved');
  expect((await h.db('tickets').where({ id }).first()).status).toBe('resolved');
  expect(await h.db('audit_log').where({ ticket_id: id, action: 'sla_unavailable' })).toHaveLength(1);

  // No workflow task ever failed on it.
  const history = await h.client.workflow.getHandle(`ticket-${id}`).fetchHistory();
  const failedTasks = history.events!.filter((e) => e.workflowTaskFailedEventAttributes);
  expect(failedTasks).toEqual([]);
}

test('a business calendar with no open time (CalendarHorizonError): SLA unavailable, the ticket workable', async () => {
  const tenant = await tenantWithStoredPolicy({
    calendar: { timezone: 'UTC', weekly: {}, holidays: [] },
  });
  await expectWorkableWithSlaUnavailable(tenant, /CalendarHorizonError/);
});

test('a target that is not a number: SLA unavailable, the ticket workable', async () => {
  const tenant = await tenantWithStoredPolicy({
    targets: { medium: { first_response_seconds: 'soon', resolution_seconds: 'later' } },
  });
  await expectWorkableWithSlaUnavailable(tenant, /not a number/);
});

test('a calendar whose time zone does not exist: SLA unavailable, the ticket workable', async () => {
  const tenant = await tenantWithStoredPolicy({
    calendar: { timezone: 'Mars/Olympus_Mons', weekly: { mon: [['09:00', '17:00']] }, holidays: [] },
  });
  await expectWorkableWithSlaUnavailable(tenant, /no valid time zone/);
});
