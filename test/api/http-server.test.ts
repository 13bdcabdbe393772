/** Slow and greedy clients against the API's HTTP server: header and request deadlines, a connection cap. */
import net from 'node:net';
import type http from 'node:http';
import { createHttpServer } from '../../src/api/http-server';

let server: http.Server;
let port: number;

beforeAll(async () => {
  server = createHttpServer(
    (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    },
    { requestTimeoutMs: 1500, headersTimeoutMs: 800, maxConnections: 3 },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Opens a connection, writes `chunks`, and collects what the server says until it closes the connection. */
function talk(chunks: string[]): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => chunks.forEach((c) => socket.write(c)));
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    socket.on('error', reject);
    setTimeout(() => socket.destroy(), 20_000).unref();
  });
}

test('headers that never finish get 408 problem+json after the headers timeout', async () => {
  const { text, ms } = await talk(['GET / HTTP/1.1\r\nHost: x\r\nX-Slow: a']);
  expect(text).toMatch(/^HTTP\/1\.1 408/);
  expect(text).toContain('application/problem+json');
  expect(text).toContain('"/problems/request-timeout"');
  // Node's default would hold it for a minute (headers) or five (request); generous for a busy machine.
  expect(ms).toBeLessThan(10_000);
});

test('a body that never finishes gets 408 after the request timeout', async () => {
  const { text, ms } = await talk(['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part']);
  expect(text).toMatch(/^HTTP\/1\.1 408/);
  expect(ms).toBeLessThan(10_000);
});

test('headers larger than Node allows are 431 problem+json, not an empty body', async () => {
  const { text } = await talk([
    `GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'x'.repeat(100_000)}\r\n\r\n`,
  ]);
  expect(text).toMatch(/^HTTP\/1\.1 431/);
  expect(text).toContain('"/problems/header-fields-too-large"');
});

test('a malformed request line is 400 problem+json', async () => {
  const { text } = await talk(['NOT HTTP AT ALL\r\n\r\n']);
  expect(text).toMatch(/^HTTP\/1\.1 400/);
  expect(text).toContain('application/problem+json');
});

test('connections beyond the cap are closed at once, the others still work', async () => {
  const open = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  // Give the server a moment to count them.
  await new Promise((r) => setTimeout(r, 100));
  const extra = await talk(['GET / HTTP/1.1\r\nHost: x\r\n\r\n']);
  expect(extra.text).toBe('');
  for (const s of open) s.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const after = await talk(['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
  expect(after.text).toMatch(/^HTTP\/1\.1 200/);
});
