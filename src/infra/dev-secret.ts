/**
 * With neither JWT_SECRET nor JWKS_URL set outside production, the product makes a random development secret
 * once and keeps it in the data folder, so `npm start` and `npm run token` agree without any setup.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppConfig } from '../config';

export function devSecretFile(dataDir: string): string {
  return path.join(dataDir, 'dev-jwt-secret');
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
