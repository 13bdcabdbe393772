/**
 * ITSM connectors (issue #5): the public surface for activities and the API.
 *
 * - config: `parseItsmConfig`, `checkItsmOutbound`, `redactConfig`, `sealItsmConfig`, `openItsmConfig`,
 *   `mapInboundStatus`
 * - secrets: `createSecretBox`, `parseKeyRing`, `secretBoxFromEnv`
 * - connectors: `createConnector(config, { outbound?, timeoutMs? })`, `SUPPORTED_TOOL_TYPES`
 * - errors and pacing: `ItsmError`, `isItsmError`, `createRateLimiter`, `createRateLimiterRegistry`
 * - inbound webhooks: `verifyInbound`, `parseInbound`
 */
export * from './types';
export {
  assertItsmConfig,
  checkItsmOutbound,
  mapInboundStatus,
  openItsmConfig,
  parseItsmConfig,
  redactConfig,
  sealItsmConfig,
  type FieldError,
  type ItsmConfig,
  type ParseResult,
  type RedactedItsmConfig,
  type StoredItsmConfig,
} from './config';
export {
  createSecretBox,
  parseKeyRing,
  secretBoxFromEnv,
  SecretBoxError,
  type SecretBox,
} from '../../platform/crypto/secrets';
export {
  createRateLimiter,
  createRateLimiterRegistry,
  isItsmError,
  ItsmError,
  parseRetryAfter,
  type ItsmErrorKind,
  type RateLimiter,
} from './http';
export { createConnector, SUPPORTED_TOOL_TYPES } from './registry';
export {
  parseInbound,
  verifyInbound,
  SERVICEDESK_PLUS_CONTRACT_EXAMPLE,
  SERVICENOW_CONTRACT_EXAMPLE,
  ZENDESK_TRIGGER_TEMPLATE,
  type InboundEvent,
  type InboundKind,
  type VerifyResult,
} from './inbound';
export { correlationKey, CORRELATION_PREFIX } from './common';
