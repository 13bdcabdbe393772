/** Port checks before a start: a port that is already taken stops the start with a message naming it. */
import net from 'node:net';

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
    readonly variable: string,
  ) {
    super(
      `port ${port} (${what}) is already in use by another process: stop that process, or set ${variable} ` +
        `to a free port`,
    );
  }
}

/** Resolves when `port` can be bound on `host`, rejects with PortInUseError when something holds it. */
export async function assertPortFree(
  port: number,
  host: string,
  what: string,
  variable: string,
): Promise<void> {
  if (port === 0) return; // any free port
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, what, variable) : error),
    );
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}
