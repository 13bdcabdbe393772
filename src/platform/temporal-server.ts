/**
 * Finds or starts the Temporal server: TEMPORAL_ADDRESS when set; otherwise a dev server started here from a
 * `temporal` binary (TEMPORAL_CLI_PATH, PATH, or the project's .tools/bin, built with `go install` when Go is
 * available), or, failing all of those, the SDK's own download of the CLI.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { searchAttributes } from '../workflows/messages';
import type { Logger } from './logger';
import { assertPortFree } from './ports';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
/** The folder holding package.json, from the sources (src/infra) or the build (dist/src/infra) alike. */
function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
export const TOOLS_BIN = path.join(PROJECT_ROOT, '.tools', 'bin');

const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

const INDEXED_VALUE_TYPES: Record<string, number> = {
  [SearchAttributeType.TEXT]: 1,
  [SearchAttributeType.KEYWORD]: 2,
  [SearchAttributeType.INT]: 3,
  [SearchAttributeType.DOUBLE]: 4,
  [SearchAttributeType.BOOL]: 5,
  [SearchAttributeType.DATETIME]: 6,
  [SearchAttributeType.KEYWORD_LIST]: 7,
};

/**
 * Registers the product's search attributes that the server lacks. The dev server registers its flags only when
 * it creates its database, so a data folder from an older version needs this; other servers may refuse it
 * (permissions), which is reported and left to ops.
 */
export async function ensureSearchAttributes(
  address: string,
  namespace: string,
  logger?: Logger,
): Promise<string[]> {
  const connection = await Connection.connect({ address, connectTimeout: 30_000 });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys({ ...existing.customAttributes, ...existing.systemAttributes }));
    const missing = Object.values(searchAttributes).filter((key) => !known.has(key.name));
    if (missing.length === 0) return [];
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPES[key.type]!])),
    });
    const names = missing.map((key) => key.name);
    logger?.info({ added: names }, 'registered missing search attributes');
    return names;
  } catch (error) {
    logger?.warn(
      { err: error },
      'could not register search attributes: register them with `temporal operator`',
    );
    return [];
  } finally {
    await connection.close();
  }
}

/** `Name=Type` pairs for `temporal server start-dev --search-attribute`. */
export function searchAttributeFlags(): string[] {
  return Object.values(searchAttributes).map((key) => `${key.name}=${CLI_TYPE_NAMES[key.type]}`);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, binary))) return path.join(dir, binary);
  }
  return undefined;
}

function findGo(): string | undefined {
  return findOnPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/** How long a cold `go install` of the CLI usually takes (module downloads and compilation): said while it runs. */
export const COLD_BUILD_ESTIMATE = '2-3 minutes on a 2-core machine, once';

/**
 * Builds the CLI into .tools/bin with the Go toolchain (once). `go install -v` names each package as it is
 * compiled; a progress line with the elapsed time, the number of packages built and the last one is logged every
 * 10 seconds, so the first `npm start` never looks stuck.
 */
export async function installTemporalCli(logger?: Logger): Promise<string | undefined> {
  const target = path.join(TOOLS_BIN, 'temporal');
  if (isExecutable(target)) return target;
  const go = findGo();
  if (!go) return undefined;
  logger?.info(
    { module: TEMPORAL_CLI_MODULE, target },
    `building the Temporal CLI with go install (first run only; usually ${COLD_BUILD_ESTIMATE})`,
  );
  fs.mkdirSync(TOOLS_BIN, { recursive: true });
  const started = Date.now();
  let packages = 0;
  let last = 'downloading modules';
  const child = spawn(go, ['install', '-v', TEMPORAL_CLI_MODULE], {
    env: { ...process.env, GOBIN: TOOLS_BIN, GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const tail: string[] = [];
  let buffered = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      if (line.startsWith('go: downloading ')) last = line.slice(4);
      else if (!line.includes(' ')) {
        packages += 1;
        last = line;
      }
      tail.push(line);
      if (tail.length > 20) tail.shift();
    }
  });
  const progress = setInterval(() => {
    const elapsed = Math.round((Date.now() - started) / 1000);
    logger?.info(
      { elapsedSeconds: elapsed, packagesBuilt: packages, current: last },
      `still building the Temporal CLI: ${elapsed} s, ${packages} packages (usually ${COLD_BUILD_ESTIMATE})`,
    );
  }, 10_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    if (code !== 0)
      throw new Error(`go install ${TEMPORAL_CLI_MODULE} failed (${code}):\n${tail.join('\n')}`);
  } finally {
    clearInterval(progress);
  }
  logger?.info(
    { seconds: Math.round((Date.now() - started) / 1000), packagesBuilt: packages },
    'Temporal CLI built',
  );
  return isExecutable(target) ? target : undefined;
}

/** The CLI to run, or undefined when only the SDK's download is left. */
export async function findTemporalCli(
  cliPath: string | undefined,
  logger?: Logger,
): Promise<string | undefined> {
  if (cliPath) {
    if (!isExecutable(cliPath)) throw new Error(`TEMPORAL_CLI_PATH ${cliPath} is not an executable file`);
    return cliPath;
  }
  return findOnPath('temporal') ?? (await installTemporalCli(logger));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RunningTemporal {
  address: string;
  uiUrl: string | undefined;
  /** The process (group) of a dev server started here. */
  pid?: number;
  stop(): Promise<void>;
}

/** Waits until the frontend answers a real gRPC call (the port opens before the server is ready). */
async function waitForTemporal(address: string, deadlineMs: number, child?: ChildProcess): Promise<void> {
  let lastError: unknown;
  while (Date.now() < deadlineMs) {
    if (child && child.exitCode !== null)
      throw new Error(`temporal dev server exited with ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.healthService.check({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal at ${address} did not become ready: ${String(lastError)}`);
}

/**
 * The dev server's dynamic configuration (docker-compose's Temporal reads the same keys from
 * deploy/temporal/dynamicconfig.yaml). Fairness dispatches backlogged tasks round-robin over the fairness keys the
 * product gives every workflow (the tenant id, see src/api/tenant-fairness.ts).
 */
export const DYNAMIC_CONFIG = [
  'frontend.enableExecuteMultiOperation=true',
  'matching.enableFairness=true',
  // Fairness orders the tasks within one task-queue partition. With the default four, a tenant's ticket lands in
  // one of them beside a quarter of another tenant's burst and waits until pollers reach that partition (its first
  // task went out 1st to 16th of 25 behind a burst of 24, later under load). New tasks go to one partition; all four are still read,
  // so tasks a server with the default wrote before are dispatched too.
  'matching.numTaskqueueWritePartitions=1',
  // A ticket's first workflow task handed back in the start's answer to the worker sharing the API's connection
  // (`npm start`), instead of a round trip through the task queue: see src/main.ts.
  'system.enableEagerWorkflowStart=true',
];

export async function startTemporalDevServer(options: {
  cliPath: string;
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  logFile?: string;
  logger?: Logger;
  startTimeoutMs?: number;
  /** The UI decodes encrypted payloads through this remote codec (the API's /codec). */
  codecEndpoint?: string;
}): Promise<RunningTemporal> {
  fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--db-filename',
    options.dbFile,
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    '--sqlite-pragma',
    'journal_mode=WAL',
    ...DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
    ...searchAttributeFlags().flatMap((flag) => ['--search-attribute', flag]),
  ];
  // Another server on these ports would answer our health check: refuse to start rather than attach to it.
  await assertPortFree(options.port, '127.0.0.1', 'Temporal dev server', 'TEMPORAL_DEV_PORT');
  await assertPortFree(options.uiPort, '127.0.0.1', 'Temporal UI', 'TEMPORAL_UI_PORT');
  const out = options.logFile ? fs.openSync(options.logFile, 'a') : 'ignore';
  // Own process group: a Ctrl-C in the terminal reaches only this process, which stops the server in order.
  // stdin is a pipe the guard watches: it closes when this process ends in any way, even SIGKILL.
  const child = spawn('/bin/sh', ['-c', LIFETIME_GUARD, 'temporal-dev-server', options.cliPath, ...args], {
    stdio: ['pipe', out, out],
    detached: true,
  });
  if (typeof out === 'number') fs.closeSync(out);
  const address = `127.0.0.1:${options.port}`;
  try {
    await waitForTemporal(address, Date.now() + (options.startTimeoutMs ?? 90_000), child);
  } catch (error) {
    await stopChild(child, 1000);
    throw error;
  }
  options.logger?.info(
    { address, ui: `http://127.0.0.1:${options.uiPort}`, temporalPid: child.pid },
    'Temporal dev server started',
  );
  return {
    address,
    uiUrl: `http://127.0.0.1:${options.uiPort}`,
    pid: child.pid,
    stop: () => stopChild(child, 10_000),
  };
}

/**
 * Runs "$@" (the CLI) and ties its life to ours: on SIGTERM/SIGINT it stops the server and waits for it; when
 * its stdin (a pipe from this process) reaches end of file, because this process exited or was killed, it stops
 * the server too. A dev server therefore never outlives the product and never holds its ports afterwards.
 */
const LIFETIME_GUARD = `
exec 3<&0
"$@" </dev/null 3<&- &
server=$!
trap 'kill -TERM "$server" 2>/dev/null' TERM INT HUP
( read -r _ <&3; kill -TERM "$server" 2>/dev/null ) &
watcher=$!
exec 3<&-
status=0
while kill -0 "$server" 2>/dev/null; do wait "$server"; status=$?; done
kill "$watcher" 2>/dev/null
exit "$status"
`;

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL'); // the whole group: guard, server, watcher
    } catch {
      // already gone
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** The SDK's own launcher, which downloads the CLI: the last resort on a machine with internet. */
async function startWithSdkDownload(options: {
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
}): Promise<RunningTemporal> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip: '127.0.0.1',
      port: options.port,
      ui: true,
      uiPort: options.uiPort,
      dbFilename: options.dbFile,
      namespace: options.namespace,
      searchAttributes: Object.values(searchAttributes),
      extraArgs: DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
    },
  });
  return {
    address: env.address,
    uiUrl: `http://127.0.0.1:${options.uiPort}`,
    stop: () => env.teardown(),
  };
}

export async function resolveTemporal(options: {
  address: string | undefined;
  cliPath: string | undefined;
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  uiUrl?: string;
  logger?: Logger;
  codecEndpoint?: string;
}): Promise<RunningTemporal> {
  if (options.address) {
    return { address: options.address, uiUrl: options.uiUrl, stop: async () => undefined };
  }
  const dbFile = path.join(options.dataDir, 'temporal.db');
  const cliPath = await findTemporalCli(options.cliPath, options.logger);
  if (!cliPath) {
    options.logger?.warn('no temporal CLI and no Go toolchain: letting the Temporal SDK download the CLI');
    return startWithSdkDownload({
      dbFile,
      port: options.port,
      uiPort: options.uiPort,
      namespace: options.namespace,
    });
  }
  return startTemporalDevServer({
    cliPath,
    dbFile,
    port: options.port,
    uiPort: options.uiPort,
    namespace: options.namespace,
    logFile: path.join(options.dataDir, 'temporal.log'),
    logger: options.logger,
    codecEndpoint: options.codecEndpoint,
  });
}
