import { assessUrgency } from '../../src/ml/urgency';

describe('assessUrgency', () => {
  it.each([
    'Production is down for all users since 9am',
    'We have an outage: the dashboard returns 503 everywhere',
    'Possible security breach, someone logged in from an unknown country',
    'After the migration we see data loss in three projects',
    'Nobody can log in, the whole company is blocked',
  ])('critical: %s', (text) => {
    const result = assessUrgency(text);
    expect(result.urgency).toBe('critical');
    expect(result.suggestedPriority).toBe('critical');
    expect(result.evidence.length).toBeGreaterThan(0);
  });

  it.each([
    'This is urgent, please call me back',
    'I was charged twice, please fix this ASAP',
    'I cannot work because the editor does not load',
    'We have a deadline tomorrow and the export fails',
    'I am locked out of my account',
  ])('high: %s', (text) => {
    expect(assessUrgency(text).urgency).toBe('high');
  });

  it.each([
    'Quick question: where do I find the invoice?',
    'No rush, but the logo looks blurry on the login page',
    'Just a suggestion, a dark mode would be nice',
    'Minor typo on the pricing page',
  ])('low: %s', (text) => {
    expect(assessUrgency(text).urgency).toBe('low');
  });

  it('is medium without cues', () => {
    expect(assessUrgency('The export to PDF has the wrong page size')).toEqual({
      urgency: 'medium',
      suggestedPriority: 'medium',
      evidence: [],
    });
  });

  it('names the cues it used', () => {
    expect(assessUrgency('Production is down for all users').evidence).toEqual(
      expect.arrayContaining(['production is down', 'all users']),
    );
  });

  describe('negation', () => {
    it('"not urgent" is low, not high', () => {
      const result = assessUrgency('This is not urgent, the report can wait');
      expect(result.urgency).toBe('low');
      expect(result.evidence).toContain('not urgent');
    });

    it('a negated alarm does not raise the urgency', () => {
      expect(
        assessUrgency("There was no data loss, it isn't critical, just curious why the sync paused").urgency,
      ).toBe('low');
      expect(
        assessUrgency('This is not a security breach, but the audit log is missing a day').urgency,
      ).not.toBe('critical');
    });

    it('a cue that starts with a negation is read as a whole', () => {
      expect(assessUrgency('No one can log in').urgency).toBe('critical');
    });
  });

  it('lets a critical cue outweigh a calm one', () => {
    expect(assessUrgency('Quick question: is there an outage? Nothing loads').urgency).toBe('critical');
  });

  it('raises a cue-less ticket written in a very negative tone', () => {
    const result = assessUrgency('The export is wrong again', { valence: -0.8 });
    expect(result.urgency).toBe('high');
    expect(result.evidence.join(' ')).toMatch(/tone/);
    expect(assessUrgency('The export is wrong again', { valence: -0.2 }).urgency).toBe('medium');
  });

  it('keeps feature requests calm unless something is on fire', () => {
    expect(assessUrgency('Please add SSO with Okta', { category: 'feature_request' }).urgency).toBe('low');
    expect(assessUrgency('We urgently need SSO with Okta', { category: 'feature_request' }).urgency).toBe(
      'medium',
    );
    expect(
      assessUrgency('All users are blocked without the SSO fix', { category: 'feature_request' }).urgency,
    ).toBe('critical');
  });

  it('understands a few cues in other languages', () => {
    expect(assessUrgency('Bitte dringend prüfen, wir haben einen Ausfall').urgency).toBe('critical');
    expect(assessUrgency('Срочно нужна помощь с оплатой').urgency).toBe('high');
  });
});
