import { loadBanking77, loadBanking77Test, loadBitext, loadDefaultExamples } from '../../src/ml/datasets';

/**
 * The shipped data sets as the loaders read them. The counts and fields are those the project's earlier
 * hand-written CSV reader produced (its whole output was compared with csv-parse's when that replaced it).
 */
describe('data sets', () => {
  it('reads the default triage examples', () => {
    const examples = loadDefaultExamples();
    expect(examples).toHaveLength(2292);
    expect(examples[0]).toEqual({ text: 'wanna ifnd the bill #00108 how do i do it', label: 'billing' });
    expect(examples[46]).toEqual({
      text: 'I have got to get bill #85632, how do I do it?',
      label: 'billing',
    });
    expect(examples.at(-1)).toEqual({
      text: 'Добавьте, пожалуйста, экспорт в Excel.',
      label: 'feature_request',
    });
  });

  it('reads BANKING77', () => {
    const examples = loadBanking77();
    expect(examples).toHaveLength(10003);
    expect(examples[0]).toEqual({ text: 'I am still waiting on my card?', label: 'card_arrival' });
    expect(examples.at(-1)).toEqual({ text: 'Which countries are represented?', label: 'country_support' });
  });

  it("reads BANKING77's published test split: the same 77 intents, none of its queries in the training split", () => {
    const test = loadBanking77Test();
    expect(test).toHaveLength(3080);
    expect(test[0]).toEqual({ text: 'How do I locate my card?', label: 'card_arrival' });
    const trainLabels = new Set(loadBanking77().map((e) => e.label));
    expect(new Set(test.map((e) => e.label))).toEqual(trainLabels);
    const trainTexts = new Set(loadBanking77().map((e) => e.text));
    expect(test.filter((e) => trainTexts.has(e.text))).toEqual([]);
  });

  it('reads Bitext, whose quoted replies hold commas, quotes and line breaks', () => {
    const rows = loadBitext();
    expect(rows).toHaveLength(4514);
    expect(rows[0]).toMatchObject({
      instruction: 'how can I cancel purchase 113542617735902?',
      intent: 'cancel_order',
      category: 'ORDER',
      tags: 'BIL',
    });
    expect(rows[0]!.response).toMatch(/^I understand how unnerving it can be to cancel an order, especially/);
    expect(rows[0]!.response).toContain('process:\r\n\r\n1. Firstly, connect');
    expect(rows[0]!.response).toMatch(/You are never alone in this!$/);
    expect(rows.at(-1)).toMatchObject({
      instruction: 'help seeing if there is anything new on my rebate',
      intent: 'track_refund',
      category: 'REFUND',
      tags: 'BL',
    });
  });
});
