/**
 * The OpenAPI document against the routes: every route the application mounts is documented (and nothing else),
 * every schema is valid JSON Schema 2020-12, fields documented as required are refused when missing and unknown
 * fields are refused where the document says no others are allowed; /openapi.json and /docs are served.
 */
import crypto from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import type { Express } from 'express';
import { createApp } from '../../src/api/app';
import { createLogger } from '../../src/platform/logger';
import { type ApiOperation, openApiDocument, operations } from '../../src/api/openapi';
import { type Harness, type TestTenant, startHarness } from '../helpers/harness';

let h: Harness;
let tenant: TestTenant;
let ticketId: string;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  tenant = await h.createTenant();
  ticketId = (await h.call('POST', '/v1/tickets', { token: tenant.tokens.agent, body: { content: 'x' } }))
    .body.id;
});
afterAll(() => h?.stop());

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
  rawPath?: string;
  handle: { stack?: RouterLayer[] };
}

/** `METHOD /path/{param}` of every route mounted in the application, nested routers included. */
function mountedRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: RouterLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const full = `${prefix}${layer.route.path === '/' && prefix ? '' : layer.route.path}`;
        for (const method of Object.keys(layer.route.methods)) {
          found.push(`${method.toUpperCase()} ${full.replace(/:(\w+)/g, '{$1}')}`);
        }
      } else if (layer.handle.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: RouterLayer[] } }).router.stack, '');
  return [...new Set(found)].sort();
}

test('every mounted route is documented, and every documented route is mounted', () => {
  // The routers only need their dependencies when a request comes: stand-ins are enough to mount them.
  const stub = new Proxy({}, { get: () => () => undefined });
  const given: Record<string, unknown> = {
    maxBodyBytes: 1024,
    defaultAutoCloseAfterMs: 0,
    consoleDir: undefined,
    logger: createLogger('silent'),
  };
  const app = createApp(
    new Proxy(given, {
      get: (target, key: string) => (key in target ? target[key] : stub),
    }) as unknown as Parameters<typeof createApp>[0],
  );
  const documented = operations.map((op) => `${op.method.toUpperCase()} ${op.path}`).sort();
  // The /docs page's own assets (its script, Swagger UI's files) are part of the documented page.
  const routes = mountedRoutes(app).filter((r) => !r.startsWith('GET /docs/'));
  expect(routes).toEqual(documented);
  expect(Object.keys(openApiDocument().paths as object).length).toBeGreaterThan(20);
});

function tokenFor(op: ApiOperation): string {
  if (op.roles!.includes('admin')) return tenant.tokens.admin;
  if (op.roles!.includes('agent')) return tenant.tokens.agent;
  if (op.roles!.includes('superadmin')) return h.superadminToken;
  return tenant.tokens.client;
}

const withBody = operations.filter((op) => op.body && op.roles);
test.each(withBody.map((op) => [`${op.method.toUpperCase()} ${op.path}`, op] as const))(
  '%s refuses what the document refuses',
  async (_name, op) => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, any>> };
    const schema = doc.paths[op.path]![op.method].requestBody.content['application/json'].schema as {
      required?: string[];
      additionalProperties?: unknown;
    };
    const url = op.path.replace('{id}', crypto.randomUUID());
    const token = tokenFor(op);
    if (schema.required?.length) {
      const res = await h.call(op.method.toUpperCase(), url, { token, body: {} });
      expect(res.status).toBe(400);
      const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field);
      for (const field of schema.required) expect(fields).toContain(field);
    }
    if (schema.additionalProperties === false) {
      const res = await h.call(op.method.toUpperCase(), url, { token, body: { not_a_documented_field: 1 } });
      expect(res.status).toBe(400);
    }
  },
);

/** A value for a documented query parameter: a date-time where one is asked for, otherwise none needed. */
const sampleFor = (schema: { format?: string }, name: string) =>
  schema.format === 'date-time' ? new Date(name === 'from' ? 0 : Date.now()).toISOString() : undefined;

test.each(operations.filter((op) => op.query).map((op) => [op.path, op] as const))(
  'GET %s: documented query parameters are accepted, unknown ones refused, required ones required',
  async (_path, op) => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, any>> };
    const params = (
      doc.paths[op.path]!.get.parameters as Array<{
        name: string;
        in: string;
        required: boolean;
        schema: object;
      }>
    ).filter((p) => p.in === 'query');
    expect(params.length).toBeGreaterThan(0);
    const required = params.filter((p) => p.required);
    const query = new URLSearchParams();
    for (const p of required) query.set(p.name, sampleFor(p.schema, p.name) ?? 'x');
    const token = tokenFor(op);
    const path = op.path.replace('{id}', ticketId);
    expect((await h.call('GET', `${path}?${query}`, { token })).status).toBe(200);
    query.set('not_a_documented_param', '1');
    expect((await h.call('GET', `${path}?${query}`, { token })).status).toBe(400);
    for (const p of required) {
      const without = new URLSearchParams(query);
      without.delete('not_a_documented_param');
      without.delete(p.name);
      const res = await h.call('GET', `${path}?${without}`, { token });
      expect(res.status).toBe(400);
      expect((res.body.errors as Array<{ field: string }>).map((e) => e.field)).toContain(p.name);
    }
  },
);

test('/openapi.json serves the document; /docs serves Swagger UI from this process', async () => {
  const doc = await h.call('GET', '/openapi.json');
  expect(doc.status).toBe(200);
  expect(doc.body).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  const page = await fetch(`${h.url}/docs/`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('swagger-ui');
  expect(html).not.toMatch(/https?:\/\/(?:cdn|unpkg|cdnjs)/);
  const init = await (await fetch(`${h.url}/docs/swagger-initializer.js`)).text();
  expect(init).toContain("url: '../openapi.json'");
  expect((await fetch(`${h.url}/docs/swagger-ui-bundle.js`)).status).toBe(200);
  expect((await fetch(`${h.url}/docs`, { redirect: 'manual' })).status).toBe(301);
});

test('the document is OpenAPI 3.1 and every schema in it compiles as JSON Schema 2020-12', () => {
  const doc = openApiDocument() as { openapi: string; paths: Record<string, Record<string, any>> };
  expect(doc.openapi).toBe('3.1.0');
  const ajv = new Ajv2020({ strict: false });
  let schemas = 0;
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      for (const p of op.parameters ?? []) {
        ajv.compile(p.schema);
        schemas++;
      }
      const body = op.requestBody?.content['application/json'].schema;
      if (body) {
        ajv.compile(body);
        schemas++;
      }
    }
  }
  expect(schemas).toBeGreaterThan(20);
});
