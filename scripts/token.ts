/**
 * Mints a development JWT: npm run token -- --tenant acme --role agent [--sub alice] [--ttl 12h]
 * Signs with JWT_SECRET, or with the development secret `npm start` keeps in the data folder.
 */
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { loadConfig } from '../src/platform/config';
import { resolveAuthOptions } from '../src/platform/dev-secret';
import { ROLES, type Role } from '../src/domain/vocabulary';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      role: { type: 'string', multiple: true },
      sub: { type: 'string' },
      ttl: { type: 'string', default: '12h' },
    },
  });
  const roles = (values.role ?? ['agent']) as Role[];
  const unknown = roles.filter((r) => !ROLES.includes(r));
  if (!values.tenant || unknown.length) {
    console.error(
      `usage: npm run token -- --tenant <id-or-slug> --role <${ROLES.join('|')}> [--sub name] [--ttl 12h]`,
    );
    process.exit(2);
  }
  const config = loadConfig();
  const auth = resolveAuthOptions(config);
  if (!auth.jwtSecret) throw new Error('minting needs JWT_SECRET (JWKS issuers mint their own tokens)');
  let jwt = new SignJWT({ tenant_id: values.tenant, roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(values.sub ?? `dev-${roles[0]}`)
    .setIssuedAt()
    .setExpirationTime(values.ttl!);
  if (auth.issuer) jwt = jwt.setIssuer(auth.issuer);
  if (auth.audience) jwt = jwt.setAudience(auth.audience);
  process.stdout.write(`${await jwt.sign(new TextEncoder().encode(auth.jwtSecret))}\n`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
