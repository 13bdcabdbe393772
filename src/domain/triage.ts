/** The shapes that flow between the AI ports, the activities and the workflow. */
import type { Priority, Urgency } from './vocabulary';

export interface Classification {
  category: string;
  urgency: Urgency;
  suggestedPriority: Priority;
  /** 1 (furious) … 10 (delighted), seed 001's scale. */
  sentiment: number;
  product: string;
  language: string;
  confidence: number;
  reasoning: string;
  model: string;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
}

export interface Passage {
  documentId: string;
  chunkId: string;
  title: string;
  text: string;
  score: number;
}

export interface Draft {
  body: string;
  /** Chunk ids of the passages the draft relies on. */
  citations: string[];
  model: string;
}

/** The text a ticket is classified and searched by. */
export function ticketText(ticket: { title: string | null; content: string }): string {
  return ticket.title ? `${ticket.title}\n\n${ticket.content}` : ticket.content;
}
