/**
 * `npm run bench:starts`: how long the Temporal dev server takes to start a workflow, `concurrency` starts in
 * flight, bare and with each of the options the product's API starts a ticket with (search attributes, the
 * tenant's fairness key, the id policies, a memo the size of its encrypted input). Nothing else runs: the floor's
 * do-nothing workflows only. Rounds take turns over the variants, order reversed every other round; the first
 * round is not counted.
 *
 *   npm run bench:starts [-- --starts 200 --concurrency 20 --rounds 4]
 */
import { parseArgs } from 'node:util';
import { startSearchAttributes } from '../src/api/workflow-gateway';
import { tenantFairness } from '../src/api/tenant-fairness';
import { DEFAULT_SLA_POLICY } from '../src/domain/sla';
import { startEphemeralStack } from '../src/platform/ephemeral-stack';
import { type FloorStartOptions, startFloor } from './floor';
import { run } from './support';

const { values: args } = parseArgs({
  options: {
    starts: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '4' },
  },
});
const starts = Number(args.starts);
const concurrency = Number(args.concurrency);
const rounds = Number(args.rounds);
for (const [name, value] of Object.entries({ starts, concurrency, rounds })) {
  if (!Number.isInteger(value) || value < (name === 'rounds' ? 2 : 1)) {
    throw new Error(`--${name} must be a whole number${name === 'rounds' ? ' ≥ 2' : ''}`);
  }
}

const TENANT = '6f1d2c3b-1111-4222-8333-944455556666';
/** The search attributes the API gives a new medium-priority ticket of a business tenant (startSearchAttributes). */
const attributes = () =>
  startSearchAttributes({
    ticketId: crypto.randomUUID(),
    tenantId: TENANT,
    priority: 'medium',
    priorityPinned: false,
    customerTier: 'business',
    createdAtMs: Date.now(),
    autoCloseAfterMs: 7 * 86_400_000,
    policy: DEFAULT_SLA_POLICY,
  });
/** Each option the API starts a ticket with, alone. */
const OPTIONS: Record<string, () => FloorStartOptions> = {
  'search attributes': () => ({ typedSearchAttributes: attributes() }),
  'fairness key': () => ({ priority: tenantFairness(TENANT) }),
  'id policies': () => ({
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
  }),
  '1.5 KB memo': () => ({ memo: { input: 'x'.repeat(1500) } }),
};
const VARIANTS: Record<string, (() => FloorStartOptions) | undefined> = {
  bare: undefined,
  ...OPTIONS,
  'all of them (as the product)': () =>
    Object.assign({}, ...Object.values(OPTIONS).map((options) => options())) as FloorStartOptions,
};

run(async () => {
  const stack = await startEphemeralStack();
  const floor = await startFloor(stack.temporalAddress, stack.databaseUrl);
  const counted: Record<string, number[]> = {};
  try {
    for (let round = 0; round < rounds; round++) {
      const names = Object.keys(VARIANTS);
      if (round % 2 === 1) names.reverse();
      for (const name of names) {
        const r = await floor.intakeAndComplete('local', 1, starts, concurrency, VARIANTS[name]);
        const startMs = r.startMs / starts;
        if (round > 0) (counted[name] ??= []).push(startMs);
        console.log(
          `round ${round + 1}/${rounds}${round === 0 ? ' (not counted)' : ''}: ${name} ${startMs.toFixed(0)} ms`,
        );
      }
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const bare = mean(counted.bare!);
    console.log(`\nmean start, ${concurrency} in flight (rounds):`);
    for (const [name, samples] of Object.entries(counted)) {
      console.log(
        `${name.padEnd(30)} ${mean(samples).toFixed(0).padStart(4)} ms  ${(mean(samples) / bare).toFixed(2)}× bare  (${samples.map((s) => s.toFixed(0)).join(', ')})`,
      );
    }
    console.log(
      JSON.stringify({
        concurrency,
        starts,
        rounds,
        start_ms: Object.fromEntries(Object.entries(counted).map(([k, v]) => [k, mean(v)])),
      }),
    );
  } finally {
    await floor.stop();
    await stack.stop();
  }
});
