/** Pure rules of tenant AI agents: lifecycle, LLM configuration, cron, activation, grants, cost. */
import {
  AGENT_STATUSES,
  LIFECYCLE_ACTIONS,
  activationProblem,
  changesVersion,
  costEstimate,
  normaliseGrant,
  transition,
  validateCron,
  validateLlmConfig,
  validateSystemPrompt,
} from '../../src/domain/agents';

describe('lifecycle', () => {
  const legal: Record<string, string> = {
    'draft:activate': 'active',
    'active:suspend': 'suspended',
    'active:deactivate': 'inactive',
    'suspended:activate': 'active',
    'suspended:deactivate': 'inactive',
  };
  for (const from of AGENT_STATUSES) {
    for (const action of LIFECYCLE_ACTIONS) {
      const expected = legal[`${from}:${action}`];
      test(`${from} --${action}--> ${expected ?? 'refused'}`, () => {
        const result = transition(from, action);
        if (expected) expect(result).toEqual({ ok: true, to: expected });
        else expect(result.ok).toBe(false);
      });
    }
  }
});

describe('llm_config', () => {
  const allow = ['gpt-4o-mini', 'gpt-4o'];
  const good = { provider: 'openai', model: 'gpt-4o-mini', temperature: 0.7, max_tokens: 4096 };

  test('a configuration inside every bound passes', () => {
    expect(validateLlmConfig(good, allow)).toEqual([]);
    expect(validateLlmConfig({ ...good, temperature: 0, max_tokens: 1, top_p: 1 }, allow)).toEqual([]);
    expect(validateLlmConfig({ ...good, temperature: 2, max_tokens: 32_000 }, allow)).toEqual([]);
  });

  test.each([
    [{ model: 'claude-3-opus' }, 'llm_config.model'],
    [{ temperature: 2.01 }, 'llm_config.temperature'],
    [{ temperature: -0.1 }, 'llm_config.temperature'],
    [{ max_tokens: 0 }, 'llm_config.max_tokens'],
    [{ max_tokens: 32_001 }, 'llm_config.max_tokens'],
    [{ max_tokens: 1.5 }, 'llm_config.max_tokens'],
    [{ top_p: 1.5 }, 'llm_config.top_p'],
    [{ frequency_penalty: 3 }, 'llm_config.frequency_penalty'],
  ])('%j is refused on %s', (change, field) => {
    const fields = validateLlmConfig({ ...good, ...change }, allow).map((p) => p.field);
    expect(fields).toContain(field);
  });

  test('system prompt is 10–32,000 characters', () => {
    expect(validateSystemPrompt('x'.repeat(9))).toHaveLength(1);
    expect(validateSystemPrompt('x'.repeat(10))).toEqual([]);
    expect(validateSystemPrompt('x'.repeat(32_000))).toEqual([]);
    expect(validateSystemPrompt('x'.repeat(32_001))).toHaveLength(1);
  });

  test('only a changed prompt or configuration makes a new version (key order does not matter)', () => {
    const current = { system_prompt: 'You are helpful.', llm_config: good };
    expect(changesVersion(current, {})).toBe(false);
    expect(changesVersion(current, { system_prompt: 'You are helpful.' })).toBe(false);
    const reordered = { max_tokens: 4096, temperature: 0.7, model: 'gpt-4o-mini', provider: 'openai' };
    expect(changesVersion(current, { llm_config: reordered })).toBe(false);
    expect(changesVersion(current, { system_prompt: 'You are terse.' })).toBe(true);
    expect(changesVersion(current, { llm_config: { ...good, temperature: 0.2 } })).toBe(true);
  });
});

describe('cron', () => {
  test('valid expressions in IANA zones pass', () => {
    expect(validateCron('0 9 * * 1-5', 'Europe/Paris')).toBeUndefined();
    expect(validateCron('*/15 * * * *', 'UTC')).toBeUndefined();
  });
  test.each([
    ['61 * * * *', 'UTC', 'schedule_cron'],
    ['0 9 * *', 'UTC', 'schedule_cron'],
    ['0 9 * * * *', 'UTC', 'schedule_cron'],
    ['every day', 'UTC', 'schedule_cron'],
    ['0 9 * * *', 'Mars/Olympus', 'schedule_timezone'],
  ])('%s in %s is refused on %s', (cron, tz, field) => {
    expect(validateCron(cron, tz)?.field).toBe(field);
  });
});

describe('activation', () => {
  test('needs a trigger', () => {
    expect(
      activationProblem({ kind: 'sla_digest', triggerCount: 0, llmConfigured: true, tools: [] })?.slug,
    ).toBe('agent-needs-trigger');
  });
  test('a custom prompt needs an LLM, and the problem names the missing configuration', () => {
    const p = activationProblem({ kind: 'custom', triggerCount: 1, llmConfigured: false, tools: [] });
    expect(p?.slug).toBe('llm-not-configured');
    expect(p?.extra).toEqual({ missing_config: ['OPENAI_API_KEY'] });
    expect(
      activationProblem({ kind: 'custom', triggerCount: 1, llmConfigured: true, tools: [] }),
    ).toBeUndefined();
  });
  test('built-in kinds run offline but need their tools granted', () => {
    expect(
      activationProblem({ kind: 'ticket_enhancement', triggerCount: 1, llmConfigured: false, tools: [] })
        ?.slug,
    ).toBe('agent-missing-tools');
    expect(
      activationProblem({
        kind: 'ticket_enhancement',
        triggerCount: 1,
        llmConfigured: false,
        tools: [normaliseGrant('add_internal_note')],
      }),
    ).toBeUndefined();
  });
});

test('irreversible tools need approval unless the grant says otherwise', () => {
  expect(normaliseGrant('itsm_create')).toEqual({ name: 'itsm_create', requires_approval: true });
  expect(normaliseGrant('read_ticket')).toEqual({ name: 'read_ticket', requires_approval: false });
  expect(normaliseGrant({ name: 'itsm_create', requires_approval: false }).requires_approval).toBe(false);
  expect(normaliseGrant({ name: 'set_priority', requires_approval: true }).requires_approval).toBe(true);
});

test('cost estimate is linear in tokens at the model price', () => {
  expect(costEstimate('gpt-4o', 1000, 1000)).toBeCloseTo(0.0125, 10);
  expect(costEstimate('gpt-4o', 2000, 0)).toBeCloseTo(0.005, 10);
});
