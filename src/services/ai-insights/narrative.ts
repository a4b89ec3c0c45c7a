import { createHash } from 'node:crypto';
import { LanguageModelError, type LanguageModel } from '../../platform/ai/ai.js';
import type { Narrative } from './store.js';

/** What the model is given of each insight: its words and numbers, nothing else of the person's data. */
export interface NarrativeFact {
  severity: string;
  title: string;
  explanation: string;
  values: Record<string, { value: number; unit: string }>;
}

export const NARRATIVE_SYSTEM_PROMPT = [
  'You write a short summary of health insights for the person they are about, in plain language.',
  'Use only the facts in the JSON you are given. Do not add causes, diagnoses, predictions, advice or any',
  'number that is not in the facts. You may say "discuss this with your clinician" where a fact says so.',
  'Mention the most severe facts first. Write at most 4 sentences, no lists, no headings.',
].join(' ');

const MAX_CHARS = 1200;

/** A digest of the facts: the narrative is rewritten only when they change. */
export function factsDigest(facts: readonly NarrativeFact[]): string {
  return createHash('sha256').update(JSON.stringify(facts)).digest('base64url');
}

/** Numbers as written in text: "1,234.5" -> 1234.5 (a leading minus is not a sign in "70-180"). */
function numbersIn(text: string): number[] {
  return [...text.matchAll(/\d[\d,]*(?:\.\d+)?/g)].map((m) => Number(m[0].replace(/,/g, '')));
}

/**
 * Whether every number in the text is one of the facts' numbers (as written in them, or a value
 * rounded to the precision the text uses): a summary that quotes a number the facts do not hold was
 * not grounded in them and is not shown.
 */
export function groundedIn(text: string, facts: readonly NarrativeFact[]): boolean {
  const known: number[] = [];
  for (const f of facts) {
    known.push(...numbersIn(`${f.title} ${f.explanation}`));
    for (const v of Object.values(f.values)) known.push(Math.abs(v.value));
  }
  return numbersIn(text).every((n) => {
    const decimals = String(n).split('.')[1]?.length ?? 0;
    const tolerance = 0.5 * 10 ** -decimals;
    return known.some((k) => Math.abs(k - n) <= tolerance + 1e-9);
  });
}

export type NarrativeOutcome =
  { narrative: Narrative } | { narrative: null; reason: 'no_model' | 'no_facts' | 'failed' | 'ungrounded' };

/** Asks the model for the summary; never throws (no model, a failure or an ungrounded answer: null). */
export async function writeNarrative(
  model: LanguageModel,
  facts: readonly NarrativeFact[],
  now: () => Date = () => new Date(),
): Promise<NarrativeOutcome> {
  if (model.kind === 'none') return { narrative: null, reason: 'no_model' };
  if (facts.length === 0) return { narrative: null, reason: 'no_facts' };
  try {
    const answer = await model.complete({
      system: NARRATIVE_SYSTEM_PROMPT,
      messages: [{ role: 'user', content: JSON.stringify({ facts }) }],
      maxTokens: 300,
      temperature: 0,
    });
    const text = answer.text.replace(/\s+/g, ' ').trim().slice(0, MAX_CHARS);
    if (!groundedIn(text, facts)) return { narrative: null, reason: 'ungrounded' };
    return { narrative: { text, model: answer.model, generated_at: now().toISOString() } };
  } catch (err) {
    if (err instanceof LanguageModelError) return { narrative: null, reason: 'failed' };
    throw err;
  }
}
