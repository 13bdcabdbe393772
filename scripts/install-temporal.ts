/**
 * Makes sure a Temporal CLI is available for `npm start` and `npm test`: TEMPORAL_CLI_PATH, a `temporal` on
 * PATH, or one built into .tools/bin with `go install` (a few minutes, once).
 */
import { findTemporalCli } from '../src/platform/temporal-server';

findTemporalCli(process.env.TEMPORAL_CLI_PATH)
  .then((cli) => {
    if (cli) console.log(`temporal CLI: ${cli}`);
    else console.log('no temporal CLI and no Go toolchain: the Temporal SDK will download its dev server');
  })
  .catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
