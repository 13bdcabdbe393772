/** What the benchmarks and scripts that drive a whole product instance share. */
import { startEphemeralStack } from '../src/platform/ephemeral-stack';
import { type Harness, startHarness } from '../test/helpers/harness';

/**
 * Runs `work` against a throwaway database and Temporal server with the API and a worker, then cleans up.
 * `options` go to the harness (e.g. `env` for configuration).
 */
export async function withProduct<T>(
  work: (h: Harness) => Promise<T>,
  options: Parameters<typeof startHarness>[0] = {},
): Promise<T> {
  const stack = await startEphemeralStack();
  process.env.TEST_DATABASE_URL = stack.databaseUrl;
  process.env.TEST_TEMPORAL_ADDRESS = stack.temporalAddress;
  const h = await startHarness(options);
  try {
    return await work(h);
  } finally {
    await h.stop();
    await stack.stop();
  }
}

/** Exits when `main` settles: the Temporal native runtime would otherwise keep the process alive. */
export function run(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
