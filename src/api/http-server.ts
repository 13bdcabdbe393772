/**
 * The API's HTTP server with limits for slow and greedy clients: a deadline for the headers and one for the
 * whole request (408), a cap on open connections, and the errors Node answers before Express sees a request
 * (headers larger than Node's limit, a malformed request line) sent as problem+json instead of an empty body.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';

export interface HttpServerLimits {
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** The request's headers must be complete within this. */
  headersTimeoutMs: number;
  /** Connections beyond this many open ones are closed at once. */
  maxConnections: number;
}

function problemResponse(status: number, slug: string, title: string, detail: string): string {
  const body = JSON.stringify({ type: `/problems/${slug}`, title, status, detail });
  return [
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** What Node's parser refused, as a problem (Node's own default is the status line with an empty body). */
function clientErrorResponse(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return problemResponse(
        431,
        'header-fields-too-large',
        'Request header fields too large',
        'the request headers exceed the server limit',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problemResponse(408, 'request-timeout', 'Request timeout', 'the request did not arrive in time');
    default:
      return problemResponse(400, 'bad-request', 'Bad request', 'the request could not be parsed');
  }
}

export function createHttpServer(app: http.RequestListener, limits: HttpServerLimits): http.Server {
  const server = http.createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      // How often Node looks for requests past those deadlines (its default is every 30 s).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler does: answer only if no response has started on this socket.
    const response = (socket as Duplex & { _httpMessage?: http.ServerResponse })._httpMessage;
    if (socket.writable && !response?.headersSent && error.code !== 'ECONNRESET') {
      socket.end(clientErrorResponse(error));
      // Read and drop what the client still sends (the rest of a body), so that it reads the answer instead
      // of a reset; then close for good.
      socket.resume();
      setTimeout(() => socket.destroy(), 2000).unref();
    } else {
      socket.destroy();
    }
  });
  return server;
}
