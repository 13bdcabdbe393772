/** Offline reply drafts from templates and retrieved passages; it never states facts it was not given. */
import type { Draft, Passage } from '../../domain/triage';
import type { Drafter } from './ports';

const OPENERS: Record<string, string> = {
  billing: 'Thank you for contacting us about your billing question.',
  technical: 'Thank you for reporting this problem.',
  feature_request: 'Thank you for your suggestion.',
};

export function createLocalDrafter(): Drafter {
  return {
    async draft({ classification, passages }): Promise<Draft> {
      const empathy = classification.sentiment <= 3 ? 'I am sorry for the trouble this has caused. ' : '';
      const opener = OPENERS[classification.category] ?? 'Thank you for getting in touch.';
      const relevant: Passage[] = passages.filter((p) => p.score > 0).slice(0, 2);
      const body = relevant.length
        ? relevant.map((p, i) => `[${i + 1}] ${p.title}: ${p.text}`).join('\n\n')
        : 'Our knowledge base has no article that answers this yet, so an agent will look into it and reply.';
      return {
        body: `Hello,\n\n${empathy}${opener}\n\n${body}\n\nBest regards,\nSupport Team`,
        citations: relevant.map((p) => p.chunkId),
        model: 'local-template-v1',
      };
    },
  };
}
