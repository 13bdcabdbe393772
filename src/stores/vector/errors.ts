/** One error type for both stores, so callers (activities) can decide on retries without knowing the backend. */
export type VectorStoreErrorCode =
  | 'invalid_input' // the caller sent something no store accepts (bad id, wrong dimensions, bad sparse vector)
  | 'not_ready' // ensureReady was never called for this store / collection
  | 'schema_mismatch' // the store exists with other dimensions (or, in Qdrant, other vectors) than asked
  | 'closed' // the store was closed
  | 'corrupt' // the embedded store's files cannot be read back
  | 'unauthorized' // Qdrant refused the API key
  | 'rejected' // Qdrant refused the request as invalid
  | 'unavailable'; // Qdrant unreachable, timing out, overloaded or failing: worth retrying

export class VectorStoreError extends Error {
  override readonly name = 'VectorStoreError';
  readonly code: VectorStoreErrorCode;
  /** True when the same call may succeed later (network, timeouts, 429, 5xx). */
  readonly retryable: boolean;
  /** The HTTP status Qdrant answered, when there was one. */
  readonly status: number | undefined;

  constructor(
    code: VectorStoreErrorCode,
    message: string,
    options: { retryable?: boolean; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? code === 'unavailable';
    this.status = options.status;
  }
}
