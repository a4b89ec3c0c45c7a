/**
 * The LanguageModel port: a chat completion from a system prompt and messages. Knows nothing of what
 * the text is for; callers decide what to send and must work when no model is configured (`kind`
 * 'none') or when a call fails: every feature of the platform works without a model.
 */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface CompletionRequest {
  system: string;
  messages: readonly ChatMessage[];
  /** Upper bound of the answer's length, in tokens. */
  maxTokens: number;
  /** 0 for the most literal answer. Default 0. */
  temperature?: number;
  /** Abandon the call after this long; default the adapter's own timeout. */
  timeoutMs?: number;
}

export interface Completion {
  text: string;
  /** The model that answered, as the server named it. */
  model: string;
}

export interface LanguageModel {
  readonly kind: 'none' | 'openai-compatible';
  /** One line for logs and `pha doctor`: never a key. */
  readonly description: string;
  /** Resolves with the answer, or rejects with a LanguageModelError. */
  complete(request: CompletionRequest): Promise<Completion>;
}

export type LanguageModelFailure = 'not_configured' | 'timeout' | 'http_error' | 'bad_response' | 'network';

/** Why a completion failed; carries no prompt, answer or key. */
export class LanguageModelError extends Error {
  constructor(
    readonly reason: LanguageModelFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LanguageModelError';
  }
}

/** The adapter for "no model configured": every call fails at once with `not_configured`. */
export class NoLanguageModel implements LanguageModel {
  readonly kind = 'none' as const;
  readonly description = 'none (OPENAI_API_KEY and OPENAI_BASE_URL are not set)';

  async complete(): Promise<Completion> {
    throw new LanguageModelError('not_configured', 'No language model is configured');
  }
}
