/**
 * With neither JWT_SECRET nor JWKS_URL set outside production, the product makes a random development secret
 * once and keeps it in the data folder, so `npm start` and `npm run token` agree without any setup.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppConfig } from './config';

export function devSecretFile(dataDir: string): string {
  return path.join(dataDir, 'dev-jwt-secret');
}

/** The key ring for secrets at rest: SECRET_KEYS, or outside production a development key kept in the data folder. */
export function resolveSecretKeys(config: AppConfig): string {
  if (config.secretKeys) return config.secretKeys;
  if (config.env === 'production') throw new Error('SECRET_KEYS must be set in production');
  const file = path.join(config.dataDir, 'dev-secret-keys');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, `dev1:${crypto.randomBytes(32).toString('base64')}`, { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/** The payload codec's key ring: PAYLOAD_KEYS, or outside production a development key kept in the data folder. */
export function resolvePayloadKeys(config: AppConfig): string {
  if (config.payloadKeys) return config.payloadKeys;
  if (config.env === 'production') throw new Error('PAYLOAD_KEYS must be set in production');
  const file = path.join(config.dataDir, 'dev-payload-keys');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, `dev1:${crypto.randomBytes(32).toString('base64')}`, { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

export function resolveAuthOptions(config: AppConfig): AppConfig['auth'] {
  if (config.auth.jwtSecret || config.auth.jwksUrl) return config.auth;
  if (config.env === 'production') throw new Error('JWT_SECRET or JWKS_URL must be set in production');
  const file = devSecretFile(config.dataDir);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(48).toString('base64url'), { mode: 0o600 });
  }
  return { ...config.auth, jwtSecret: fs.readFileSync(file, 'utf8').trim() };
}
