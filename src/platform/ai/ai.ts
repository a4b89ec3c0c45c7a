import type { Config } from '../config.js';
import { NoLanguageModel, type LanguageModel } from './language-model.js';
import { OpenAiCompatibleModel } from './openai-compatible.js';

export * from './language-model.js';
export { OpenAiCompatibleModel } from './openai-compatible.js';

/**
 * The language model the configuration names: OpenAI-compatible when OPENAI_API_KEY or OPENAI_BASE_URL
 * is set (a local Ollama needs no key), otherwise none.
 */
export function createLanguageModel(config: Config['ai'], fetchImpl?: typeof fetch): LanguageModel {
  if (!config.openai) return new NoLanguageModel();
  return new OpenAiCompatibleModel({ ...config.openai, fetchImpl });
}
