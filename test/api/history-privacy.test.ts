/**
 * Proof that a ticket's workflow history holds no readable personal data, read the way an operator would: the
 * real Temporal CLI exports the history (`temporal workflow show --output json`). The ticket's text, an agent's
 * reply and internal note carrying an email address and an SSN-like string, and the triage draft appear nowhere
 * in clear; posting the exported payloads to the codec endpoint (platform operators) shows the messages, note and
 * draft (the ticket's text is not in the history at all: the workflow passes ids).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

const run = promisify(execFile);
const TEMPORAL_CLI = path.resolve(__dirname, '../../.tools/bin/temporal');

const EMAIL = 'jane.marker@privacy-proof.example';
const SSN = '987-65-4321';
const TICKET_TEXT = 'Our payroll export stopped working after the upgrade';

let h: Harness;
let tenant: TestTenant;

beforeAll(async () => {
  h = await startHarness();
  tenant = await h.createTenant();
});
afterAll(() => h?.stop());

interface JsonPayload {
  metadata: Record<string, string>;
  data?: string;
}

/** Every payload in the CLI's JSON: objects with a `metadata.encoding`. */
function payloadsIn(value: unknown, found: JsonPayload[] = []): JsonPayload[] {
  if (Array.isArray(value)) {
    for (const item of value) payloadsIn(item, found);
  } else if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    const metadata = v.metadata as Record<string, unknown> | undefined;
    if (metadata && typeof metadata === 'object' && typeof metadata.encoding === 'string') {
      found.push(v as unknown as JsonPayload);
    } else {
      for (const child of Object.values(v)) payloadsIn(child, found);
    }
  }
  return found;
}

test('the exported history holds no readable ticket text, messages, notes or draft; the codec decodes them', async () => {
  const created = await h.call('POST', '/v1/tickets', {
    token: tenant.tokens.client,
    body: { content: `${TICKET_TEXT}. Contact ${EMAIL}`, email: EMAIL },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  // Triage ran and drafted a reply.
  const draft = await eventually(
    async () => {
      const r = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
      return r.body.draft?.body as string | undefined;
    },
    90_000,
    500,
  );
  const reply = `Hello, we have reset the export for ${EMAIL}.`;
  const note = `internal: caller gave SSN ${SSN} and email ${EMAIL}`;
  for (const [body, internal] of [
    [reply, false],
    [note, true],
  ] as const) {
    const r = await h.call('POST', `/v1/tickets/${id}/messages`, {
      token: tenant.tokens.agent,
      body: { body, internal },
    });
    expect(r.status).toBe(200);
  }

  // Both messages are in the history once their updates completed (the API answered after the handler ran).
  const { stdout } = await run(
    TEMPORAL_CLI,
    [
      'workflow',
      'show',
      '--workflow-id',
      `ticket-${id}`,
      '--output',
      'json',
      '--address',
      h.temporalAddress,
      '--namespace',
      'default',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const exported = JSON.parse(stdout) as unknown;
  // The draft's longest line: a plain run of its text, as it would appear in clear.
  const draftLine = draft.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '');
  expect(draftLine.length).toBeGreaterThan(20);
  for (const clear of [EMAIL, SSN, TICKET_TEXT, reply, note, draftLine]) expect(stdout).not.toContain(clear);
  // Not in base64 either (a payload left unencrypted is base64 JSON in the CLI's output).
  const payloads = payloadsIn(exported);
  expect(payloads.length).toBeGreaterThan(0);
  const asStored = payloads.map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8')).join('\n');
  for (const clear of [EMAIL, SSN, draftLine]) expect(asStored).not.toContain(clear);

  // Through the codec endpoint, the same payloads read in clear.
  const decoded = await h.call('POST', '/codec/decode', { token: h.superadminToken, body: { payloads } });
  expect(decoded.status).toBe(200);
  const clear = (decoded.body.payloads as JsonPayload[])
    .map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8'))
    .join('\n');
  for (const text of [EMAIL, SSN, reply, note, draft])
    expect(clear).toContain(JSON.stringify(text).slice(1, -1));
  // The ticket's own text never enters the history, even encrypted: the workflow and its activities pass ids
  // and read the text from Postgres.
  expect(clear).not.toContain(TICKET_TEXT);
});
