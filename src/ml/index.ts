/** The offline AI library: what the rest of the application uses (see each module for details). */
export {
  OFFLINE_FEW_SHOT_MODEL_NAME,
  OFFLINE_MODEL_NAME,
  createOfflineClassifier,
  normalizeCategories,
  type CategorySpec,
  type OfflineClassifier,
  type OfflineClassifierOptions,
  type OfflineClassifyInput,
} from './offline-classifier';
export {
  fewShotClassifier,
  textClassifierFromJSON,
  trainTextClassifier,
  type FewShotClass,
  type FewShotModel,
  type Prediction,
  type TextClassifier,
  type TrainingExample,
} from './classifier';
export {
  createLsaEmbedder,
  createSparseEncoder,
  defaultEmbeddingCorpus,
  loadLsaEmbedder,
  trainLsa,
  type LsaEmbedder,
} from './embedding';
export { HybridIndex, type IndexedDocument, type SearchHit, type SearchMode } from './evaluation';
export { reciprocalRankFusion } from './ranking';
export { detectLanguage, type DetectedLanguage, type LanguageGuess } from './language';
export { analyzeSentiment, type SentimentResult } from './sentiment';
export { assessUrgency, type UrgencyResult } from './urgency';
export { GENERAL_PRODUCT, PRODUCT_CATALOG, createProductClassifier } from './products';
export { parseCsv, parseCsvRecords } from './csv';
export { defaultCacheDir } from './model-cache';
