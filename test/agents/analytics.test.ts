/**
 * /v1/analytics/{tickets,sla,agents}: the figures equal what this test computes itself from the same rows
 * (seeded, with rows outside the range and of another tenant that must not count); percentiles, read from
 * histograms, are within their documented precision (LATENCY_RATIOS).
 */
import crypto from 'node:crypto';
import { LATENCY_RATIOS } from '../../src/stores/analytics-repository';
import { type Harness, type TestTenant, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;
let other: TestTenant;

const FROM = new Date('2026-06-01T00:00:00Z');
const TO = new Date('2026-07-01T00:00:00Z');

interface Row {
  id: string;
  tenant_id: string;
  category: string | null;
  priority: string;
  customer_tier: string;
  source: string;
  status: string;
  assignee: string | null;
  reopen_count: number;
  created_at: Date;
  first_response_at: Date | null;
  resolved_at: Date | null;
  breached: boolean;
}

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks. */
function percentileCont(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
const round1 = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
/** Within a factor sqrt(ratio) of the exact figure (the histograms' precision), plus the answer's 0.1 s rounding. */
function expectNear(actual: number | null, exact: number | null, ratio: number): void {
  if (exact === null) return expect(actual).toBeNull();
  expect(actual).toBeGreaterThanOrEqual(exact / Math.sqrt(ratio) - 0.05);
  expect(actual).toBeLessThanOrEqual(exact * Math.sqrt(ratio) + 0.05);
}
const countBy = (rows: Row[], key: (r: Row) => string) =>
  rows.reduce<Record<string, number>>((acc, r) => ({ ...acc, [key(r)]: (acc[key(r)] ?? 0) + 1 }), {});

const rows: Row[] = [];

beforeAll(async () => {
  h = await startHarness({ worker: false });
  tenant = await h.createTenant();
  other = await h.createTenant();
  const r = rng(42);
  for (let i = 0; i < 240; i++) {
    const owner = i % 8 === 7 ? other : tenant;
    // Most inside the range; some before and after it.
    const dayOffset = Math.floor(r() * 40) - 5;
    const created = new Date(FROM.getTime() + dayOffset * 86_400_000 + Math.floor(r() * 86_400_000));
    const responded = r() < 0.8 ? new Date(created.getTime() + Math.floor(60_000 + r() * 7_200_000)) : null;
    const resolved =
      responded && r() < 0.7 ? new Date(responded.getTime() + Math.floor(r() * 3 * 86_400_000)) : null;
    const row: Row = {
      id: crypto.randomUUID(),
      tenant_id: owner.id,
      category: r() < 0.1 ? null : pick(r, ['billing', 'technical', 'feature_request']),
      priority: pick(r, ['low', 'medium', 'high', 'critical']),
      customer_tier: pick(r, ['free', 'standard', 'business', 'enterprise']),
      source: pick(r, ['web', 'email', 'api', 'chat']),
      status: resolved ? 'resolved' : responded ? 'in_progress' : 'open',
      assignee: r() < 0.75 ? pick(r, ['alice', 'bob', 'carol']) : null,
      reopen_count: r() < 0.15 ? 1 : 0,
      created_at: created,
      first_response_at: responded,
      resolved_at: resolved,
      breached: r() < 0.25,
    };
    rows.push(row);
  }
  await h.db('tickets').insert(
    rows.map(({ breached: _b, ...t }) => ({
      ...t,
      title: `ticket ${t.id.slice(0, 8)}`,
      content: 'analytics fixture',
      created_by: 'fixture',
      workflow_id: `ticket-${t.id}`,
      workflow_started_at: t.created_at,
    })),
  );
  await h.db('sla_events').insert(
    rows
      .filter((t) => t.breached)
      .map((t) => ({
        ticket_id: t.id,
        tenant_id: t.tenant_id,
        clock: 'first_response',
        kind: 'breach',
        threshold: 1,
        cycle: 0,
        due_at: t.created_at,
        deadline: t.created_at,
        fired_at: t.created_at,
        remaining_seconds: 0,
        priority: t.priority,
      })),
  );
});
afterAll(() => h?.stop());

const inRange = (from = FROM, to = TO) =>
  rows.filter((t) => t.tenant_id === tenant.id && t.created_at >= from && t.created_at < to);
const query = `?from=${FROM.toISOString()}&to=${TO.toISOString()}`;
const HOUR = 3_600_000;
// Whole days read rollups only; partial days at the ends are read from the raw rows.
const ranges: Array<[string, Date, Date]> = [
  ['whole days', FROM, TO],
  ['partial days at both ends', new Date(FROM.getTime() + 7.5 * HOUR), new Date(TO.getTime() - 5.25 * HOUR)],
  [
    'within a day',
    new Date(FROM.getTime() + 86_400_000 + 2 * HOUR),
    new Date(FROM.getTime() + 86_400_000 + 20 * HOUR),
  ],
];

test.each(ranges)(
  'tickets (%s): volumes, percentiles and per-assignee figures match an independent computation',
  async (_label, from, to) => {
    const res = await h.call(
      'GET',
      `/v1/analytics/tickets?from=${from.toISOString()}&to=${to.toISOString()}`,
      {
        token: tenant.tokens.admin,
      },
    );
    expect(res.status).toBe(200);
    const mine = inRange(from, to);
    expect(mine.length).toBeGreaterThan(from === FROM ? 100 : 0);
    const fr = mine
      .filter((t) => t.first_response_at)
      .map((t) => (t.first_response_at!.getTime() - t.created_at.getTime()) / 1000);
    const rs = mine
      .filter((t) => t.resolved_at)
      .map((t) => (t.resolved_at!.getTime() - t.created_at.getTime()) / 1000);
    expect(res.body).toMatchObject({
      total: mine.length,
      by_category: countBy(mine, (t) => t.category ?? 'uncategorised'),
      by_priority: countBy(mine, (t) => t.priority),
      by_tier: countBy(mine, (t) => t.customer_tier),
      by_channel: countBy(mine, (t) => t.source),
    });
    for (const p of [0.5, 0.9, 0.99] as const) {
      const key = `p${Math.round(p * 100)}` as 'p50' | 'p90' | 'p99';
      expectNear(res.body.first_response_seconds[key], percentileCont(fr, p), LATENCY_RATIOS.first_response);
      expectNear(res.body.resolution_seconds[key], percentileCont(rs, p), LATENCY_RATIOS.resolution);
    }
    const people = [...new Set(mine.filter((t) => t.assignee).map((t) => t.assignee!))].map((name) => {
      const theirs = mine.filter((t) => t.assignee === name);
      const resolved = theirs.filter((t) => t.resolved_at);
      return {
        assignee: name,
        handled: theirs.length,
        resolved: resolved.length,
        median_handling_seconds: percentileCont(
          resolved.map((t) => (t.resolved_at!.getTime() - t.created_at.getTime()) / 1000),
          0.5,
        ),
        reopen_rate:
          Math.round((1000 * theirs.filter((t) => t.reopen_count > 0).length) / theirs.length) / 1000,
      };
    });
    const byName = <T extends { assignee: string }>(xs: T[]) =>
      [...xs].sort((a, b) => a.assignee.localeCompare(b.assignee));
    const answered = byName(
      res.body.human_agents as Array<{ assignee: string; median_handling_seconds: number | null }>,
    );
    expect(answered.map(({ median_handling_seconds: _m, ...rest }) => rest)).toEqual(
      byName(people).map(({ median_handling_seconds: _m, ...rest }) => rest),
    );
    byName(people).forEach((person, i) =>
      expectNear(
        answered[i]!.median_handling_seconds,
        person.median_handling_seconds,
        LATENCY_RATIOS.handling,
      ),
    );
    // Another tenant's figures are its own.
    const theirs = await h.call(
      'GET',
      `/v1/analytics/tickets?from=${from.toISOString()}&to=${to.toISOString()}`,
      {
        token: other.tokens.admin,
      },
    );
    expect(theirs.body.total).toBe(
      rows.filter((t) => t.tenant_id === other.id && t.created_at >= from && t.created_at < to).length,
    );
  },
);

test.each(ranges)(
  'sla (%s): compliance by priority and tier matches an independent computation',
  async (_label, from, to) => {
    const res = await h.call('GET', `/v1/analytics/sla?from=${from.toISOString()}&to=${to.toISOString()}`, {
      token: tenant.tokens.admin,
    });
    expect(res.status).toBe(200);
    const mine = inRange(from, to);
    const expected = (key: (t: Row) => string) =>
      [...new Set(mine.map(key))].sort().map((k) => {
        const group = mine.filter((t) => key(t) === k);
        const breached = group.filter((t) => t.breached).length;
        const met = group.filter((t) => !t.breached && t.status === 'resolved').length;
        return {
          key: k,
          tickets: group.length,
          met,
          breached,
          compliance_pct: met + breached === 0 ? null : Math.round((1000 * met) / (met + breached)) / 10,
        };
      });
    const strip = (items: Array<Record<string, unknown>>) =>
      items.map(({ key, tickets, met, breached, compliance_pct }) => ({
        key,
        tickets,
        met,
        breached,
        compliance_pct,
      }));
    expect(strip(res.body.by_priority)).toEqual(expected((t) => t.priority));
    expect(strip(res.body.by_tier)).toEqual(expected((t) => t.customer_tier));
  },
);

test('agents: runs, success rate, tokens and cost per AI agent match the execution rows', async () => {
  const [agent] = await h
    .db('agents')
    .insert({
      tenant_id: tenant.id,
      name: 'Digest',
      kind: 'sla_digest',
      system_prompt: 'Built-in digest agent.',
      llm_config: JSON.stringify({ provider: 'builtin', model: 'offline' }),
    })
    .returning('*');
  const r = rng(7);
  const executions = Array.from({ length: 30 }, (_, i) => {
    const status = i % 5 === 0 ? 'failed' : i % 7 === 0 ? 'running' : 'completed';
    return {
      id: crypto.randomUUID(),
      agent_id: agent.id,
      tenant_id: tenant.id,
      trigger_type: 'manual',
      version_number: 1,
      workflow_id: `agent-${agent.id}-${i}`,
      status,
      prompt_tokens: Math.floor(r() * 1000),
      completion_tokens: Math.floor(r() * 300),
      cost_estimate: Math.round(r() * 1e6) / 1e6,
      started_at: new Date(FROM.getTime() + (i - 3) * 86_400_000),
      duration_ms: status === 'running' ? null : Math.floor(r() * 5000),
    };
  });
  await h.db('agent_executions').insert(executions);
  const res = await h.call('GET', `/v1/analytics/agents${query}`, { token: tenant.tokens.admin });
  expect(res.status).toBe(200);
  const mine = executions.filter((e) => e.started_at >= FROM && e.started_at < TO);
  const completed = mine.filter((e) => e.status === 'completed').length;
  const failed = mine.filter((e) => e.status === 'failed').length;
  const sum = (f: (e: (typeof mine)[number]) => number) => mine.reduce((s, e) => s + f(e), 0);
  expect(res.body.items).toEqual([
    {
      agent_id: agent.id,
      name: 'Digest',
      runs: mine.length,
      completed,
      failed,
      success_rate: Math.round((1000 * completed) / (completed + failed)) / 1000,
      prompt_tokens: sum((e) => e.prompt_tokens),
      completion_tokens: sum((e) => e.completion_tokens),
      cost_estimate_usd: Math.round(sum((e) => e.cost_estimate) * 1e6) / 1e6,
      median_duration_ms: round1(
        percentileCont(
          mine.filter((e) => e.duration_ms !== null).map((e) => e.duration_ms!),
          0.5,
        ),
      ),
    },
  ]);
  expect(
    (await h.call('GET', `/v1/analytics/agents${query}`, { token: other.tokens.admin })).body.items,
  ).toEqual([]);
});

test('bad ranges are 400; only admins', async () => {
  const bad = await h.call('GET', `/v1/analytics/tickets?from=${TO.toISOString()}&to=${FROM.toISOString()}`, {
    token: tenant.tokens.admin,
  });
  expect(bad.status).toBe(400);
  expect(
    (await h.call('GET', '/v1/analytics/tickets?from=yesterday', { token: tenant.tokens.admin })).status,
  ).toBe(400);
  expect(
    (await h.call('GET', '/v1/analytics/tickets?from=2020-01-01', { token: tenant.tokens.admin })).status,
  ).toBe(400);
  expect((await h.call('GET', '/v1/analytics/sla', { token: tenant.tokens.agent })).status).toBe(403);
});
