import {
  LanguageModelError,
  type Completion,
  type CompletionRequest,
  type LanguageModel,
} from './language-model.js';

export interface OpenAiCompatibleOptions {
  /** e.g. https://api.openai.com/v1, or http://127.0.0.1:11434/v1 for a local Ollama. */
  baseUrl: string;
  model: string;
  /** Sent as a bearer token when set; local servers such as Ollama need none. */
  apiKey?: string;
  timeoutMs: number;
  fetchImpl?: typeof fetch;
}

interface ChatCompletionBody {
  model?: unknown;
  choices?: { message?: { content?: unknown } }[];
}

/**
 * Any server speaking the OpenAI Chat Completions API (`POST {baseUrl}/chat/completions`): OpenAI,
 * Ollama, vLLM, LM Studio, llama.cpp's server. Plain fetch: one request shape, our own timeout and no
 * retries (a caller with a deadline would rather answer without the text than wait for a second try).
 */
export class OpenAiCompatibleModel implements LanguageModel {
  readonly kind = 'openai-compatible' as const;
  readonly description: string;
  private readonly endpoint: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: OpenAiCompatibleOptions) {
    this.endpoint = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.description = `OpenAI-compatible ${originOf(options.baseUrl)}, model ${options.model}${
      options.apiKey ? ' (API key set)' : ''
    }`;
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const timeoutMs = request.timeoutMs ?? this.options.timeoutMs;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          model: this.options.model,
          messages: [{ role: 'system', content: request.system }, ...request.messages],
          max_tokens: request.maxTokens,
          temperature: request.temperature ?? 0,
          stream: false,
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new LanguageModelError('timeout', `The language model did not answer within ${timeoutMs} ms`);
      }
      throw new LanguageModelError('network', 'The language model server could not be reached');
    }
    if (!response.ok) {
      // The body may echo the prompt: it is not kept.
      throw new LanguageModelError(
        'http_error',
        `The language model server answered HTTP ${response.status}`,
        response.status,
      );
    }
    let body: ChatCompletionBody;
    try {
      body = JSON.parse(text) as ChatCompletionBody;
    } catch {
      throw new LanguageModelError('bad_response', 'The language model server did not answer with JSON');
    }
    const content = body.choices?.[0]?.message?.content;
    if (typeof content !== 'string' || content.trim() === '') {
      throw new LanguageModelError('bad_response', 'The language model answer has no text');
    }
    return {
      text: content.trim(),
      model: typeof body.model === 'string' && body.model !== '' ? body.model : this.options.model,
    };
  }
}

function originOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return 'server';
  }
}
