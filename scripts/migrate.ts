/**
 * `npm run migrate` (latest), `npm run migrate:down` (roll back every migration), `npm run migrate:status`, against
 * DATABASE_URL. The product also migrates itself on start; this is for ops. In the production image:
 * `node dist/scripts/migrate.js latest`.
 */
import { ConfigError, loadConfig } from '../src/platform/config';
import { createDb } from '../src/stores/db';

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'latest';
  const config = loadConfig();
  if (!config.database.url) throw new ConfigError('set DATABASE_URL to the database to migrate');
  const db = createDb(config.database.url, 1);
  try {
    if (command === 'latest') {
      const [, applied] = (await db.migrate.latest()) as [number, string[]];
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
    } else if (command === 'rollback') {
      const [, undone] = (await db.migrate.rollback(undefined, true)) as [number, string[]];
      console.log(undone.length ? `rolled back: ${undone.join(', ')}` : 'nothing to roll back');
    } else if (command === 'status') {
      const [done, pending] = (await db.migrate.list()) as [Array<{ name: string }>, Array<{ name: string }>];
      for (const m of done) console.log(`applied  ${m.name}`);
      for (const m of pending) console.log(`pending  ${m.name}`);
    } else {
      throw new ConfigError(`unknown command ${command}: latest, rollback or status`);
    }
  } finally {
    await db.destroy();
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
