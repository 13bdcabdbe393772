/**
 * A live read (query) of a ticket whose worker is gone fails in one of three ways, depending on how long ago the
 * server last saw a poller and on who times out first: FAILED_PRECONDITION "no poller seen for task queue
 * recently", DEADLINE_EXCEEDED, or a cancelled stream. Each is answered 503 with Retry-After, never 500; other
 * failures keep their meaning. The same path with a real server and no worker: test/api/no-worker.test.ts.
 */
import { type Client, ServiceError } from '@temporalio/client';
import { TicketWorkflows } from '../../src/api/workflow-gateway';
import { HttpProblem } from '../../src/api/problems';
import type { TicketModel } from '../../src/stores/models';

/** gRPC status codes (the client's transport, @grpc/grpc-js, is not a dependency of ours). */
const status = { CANCELLED: 1, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, FAILED_PRECONDITION: 9 } as const;

/** An error shaped as the gRPC transport raises it, wrapped as the Temporal client wraps a failed query. */
function queryFailure(code: number, details: string): Error {
  const grpc = Object.assign(new Error(`${code}: ${details}`), { code, details, metadata: {} });
  return new ServiceError('Failed to query Workflow', { cause: grpc });
}

function gatewayFailingWith(error: Error): TicketWorkflows {
  const client = {
    withDeadline: <T>(_deadline: number, call: () => Promise<T>) => call(),
    workflow: {
      getHandle: () => ({
        query: async () => {
          throw error;
        },
      }),
    },
  } as unknown as Client;
  return new TicketWorkflows(client, 'tickets', { updateTimeoutMs: 2000 });
}

const ticket = { workflow_id: 'ticket-1', id: '1', tenant_id: 't' } as TicketModel;

async function answer(error: Error): Promise<unknown> {
  return gatewayFailingWith(error)
    .live(ticket)
    .then(
      () => 'answered',
      (e: unknown) => e,
    );
}

test.each([
  [
    'no poller seen',
    status.FAILED_PRECONDITION,
    'no poller seen for task queue recently, worker may be down',
  ],
  ['deadline', status.DEADLINE_EXCEEDED, 'context deadline exceeded'],
  ['cancelled stream', status.CANCELLED, 'stream terminated by RST_STREAM with error code: CANCEL'],
])('no worker (%s): 503 with Retry-After', async (_name, code, details) => {
  const problem = await answer(queryFailure(code, details));
  expect(problem).toBeInstanceOf(HttpProblem);
  expect(problem).toMatchObject({ status: 503, extra: { retry_after_seconds: 5 } });
  // What it says matches what happened: no poller is not a wait that ran out.
  expect((problem as Error).message).toMatch(
    code === status.FAILED_PRECONDITION ? /no worker is polling/ : /did not answer within 2000 ms/,
  );
});

test('other failures are not turned into 503', async () => {
  // A precondition that is not about pollers, and an invalid argument: the caller's bug, not a missing worker.
  for (const failure of [
    queryFailure(status.FAILED_PRECONDITION, 'workflow task in failed state'),
    queryFailure(status.INVALID_ARGUMENT, 'query type is required'),
  ]) {
    const outcome = await answer(failure);
    expect(outcome).not.toBeInstanceOf(HttpProblem);
    expect(outcome).toBe(failure);
  }
});
