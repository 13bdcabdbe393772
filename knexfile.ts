/**
 * knex CLI configuration (`npx knex --knexfile knexfile.ts …` under tsx). The product itself migrates on start
 * (src/main.ts), where an embedded PostgreSQL may supply the URL.
 */
import { knexConfig } from './src/stores/db';

const url = process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5433/triage';

export default knexConfig(url);
