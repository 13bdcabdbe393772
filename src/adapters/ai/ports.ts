/** The AI ports the activities depend on. Local implementations ship; issue #4 adds OpenAI and Qdrant ones. */
import type { Classification, Draft, Passage } from '../../domain/triage';

export interface ClassifyInput {
  text: string;
  categories: readonly string[];
  products: readonly string[];
}

export interface Classifier {
  classify(input: ClassifyInput): Promise<Classification>;
}

export interface Retriever {
  retrieve(input: { tenantId: string; query: string; limit: number }): Promise<Passage[]>;
}

export interface Drafter {
  draft(input: { text: string; classification: Classification; passages: Passage[] }): Promise<Draft>;
}
