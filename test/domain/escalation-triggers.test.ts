import {
  DEFAULT_ESCALATION_TRIGGERS,
  evaluateTriggers,
  matchedKeywords,
} from '../../src/domain/escalation-triggers';

const calm = { sentiment: 6, customerTier: 'standard' as const, bestRetrievalScore: null };

test.each([
  ['We will file a lawsuit', 'lawsuit'],
  ['I want a REFUND now', 'refund'],
  ['Please refunded me', 'refund'],
  ['Ich verlange eine Rückerstattung', 'rückerstattung'],
  ['Je veux un remboursement', 'remboursement'],
  ['Quiero un reembolso', 'reembolso'],
  ['Voglio un rimborso', 'rimborso'],
  ['Ik wil terugbetaling', 'terugbetaling'],
  ['Требую возврат денег', 'возврат'],
  ['Мы подадим иск', 'иск'],
])('%s → %s', (text, keyword) => {
  expect(matchedKeywords(text, DEFAULT_ESCALATION_TRIGGERS.keywords)).toContain(keyword);
  expect(evaluateTriggers(DEFAULT_ESCALATION_TRIGGERS, { ...calm, text })).toMatchObject({ level: 1 });
});

test('words inside other words do not trigger', () => {
  expect(
    matchedKeywords('The issue is prefunded accounts and a suda', DEFAULT_ESCALATION_TRIGGERS.keywords),
  ).toEqual([]);
  expect(
    evaluateTriggers(DEFAULT_ESCALATION_TRIGGERS, { ...calm, text: 'How do I export a report?' }),
  ).toBeNull();
});

test('very negative sentiment escalates only for high tiers', () => {
  const text = 'This is the worst service ever';
  expect(
    evaluateTriggers(DEFAULT_ESCALATION_TRIGGERS, {
      text,
      sentiment: 1,
      customerTier: 'enterprise',
      bestRetrievalScore: null,
    })?.reason,
  ).toMatch(/very negative sentiment \(1\/10\) from a enterprise customer/);
  expect(
    evaluateTriggers(DEFAULT_ESCALATION_TRIGGERS, {
      text,
      sentiment: 1,
      customerTier: 'free',
      bestRetrievalScore: null,
    }),
  ).toBeNull();
});

test('a low best retrieval score escalates when a minimum is configured', () => {
  const triggers = { ...DEFAULT_ESCALATION_TRIGGERS, min_retrieval_score: 0.3 };
  expect(
    evaluateTriggers(triggers, { ...calm, text: 'odd question', bestRetrievalScore: 0.1 })?.reason,
  ).toMatch(/no good match/);
  expect(evaluateTriggers(triggers, { ...calm, text: 'odd question', bestRetrievalScore: 0.5 })).toBeNull();
  expect(evaluateTriggers(triggers, { ...calm, text: 'odd question', bestRetrievalScore: null })).toBeNull();
});
