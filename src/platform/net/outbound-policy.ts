/**
 * The outbound HTTP policy: every URL a tenant configures (ITSM base URLs, Slack and webhook notification
 * targets, and later agent tools and webhooks) goes through it, so that no tenant can make the platform send
 * requests into its own network (server-side request forgery, OWASP API Security API7).
 *
 * - `checkUrl(url)` — at configuration time: the host is resolved and every address checked. Refused are
 *   loopback, private (RFC 1918, RFC 4193 fc00::/7), link-local (169.254/16 with the cloud metadata address,
 *   fe80::/10), carrier-grade NAT (100.64/10), multicast, broadcast, unspecified, the other special-purpose
 *   ranges (documentation, benchmarking, NAT64, 6to4, Teredo, site-local, …), and the IPv4-mapped and
 *   IPv4-compatible IPv6 forms of all of them — unless an address is inside one of the allowed networks
 *   (`OUTBOUND_ALLOW_NETWORKS`).
 * - `send(url, init)` / `fetch(url, init)` — at connection time: the host is resolved once, every address is
 *   checked again, and the request goes out through node:http/https with a `lookup` that answers with exactly
 *   those checked addresses. There is no second DNS lookup, so a rebinding DNS server cannot switch the address
 *   between the check and the connection. Redirects are never followed: a 3xx comes back to the caller as is.
 *
 * Ranges are classified by ipaddr.js (`process()` turns IPv4-mapped IPv6 into IPv4 first); only its `unicast`
 * range, i.e. ordinary public addresses, is allowed by default. The resolver is injectable, so tests can
 * answer with any address (and change their answer between calls) without a DNS server.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Readable } from 'node:stream';
import ipaddr from 'ipaddr.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Host name → its addresses (A and AAAA). Throws when the name does not resolve. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The operating system's resolver (getaddrinfo, as `net.connect` would use). */
export const systemResolver: Resolver = async (hostname) => {
  const answers = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** Why an address is refused, as a tenant reads it: "resolves to a <range> address". */
export type RefusedRange =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'carrier-grade NAT'
  | 'multicast'
  | 'broadcast'
  | 'unspecified'
  | 'reserved';

/** ipaddr.js range names → ours; every other range but `unicast` is `reserved`. */
const RANGE_NAMES: Record<string, RefusedRange> = {
  loopback: 'loopback',
  private: 'private',
  uniqueLocal: 'private',
  deprecatedSiteLocal: 'private',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  multicast: 'multicast',
  broadcast: 'broadcast',
  unspecified: 'unspecified',
};

export type AddressVerdict =
  { allowed: true; internal: boolean } | { allowed: false; range: RefusedRange | 'invalid' };

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Parses a comma-separated list of CIDRs (a bare address means just that address). Throws a RangeError
 * naming the first bad entry.
 */
export function parseNetworks(list: string): string[] {
  const out: string[] = [];
  for (const entry of list.split(',')) {
    const text = entry.trim();
    if (!text) continue;
    try {
      const [addr, bits] = text.includes('/')
        ? ipaddr.parseCIDR(text)
        : [ipaddr.parse(text), ipaddr.parse(text).kind() === 'ipv4' ? 32 : 128];
      out.push(`${addr.toString()}/${bits}`);
    } catch {
      throw new RangeError(`"${text.slice(0, 60)}" is not a CIDR such as 10.0.0.0/8 or fd00::/8`);
    }
  }
  return out;
}

/** Loopback only: what development and test runs allow when OUTBOUND_ALLOW_NETWORKS is unset. */
export const LOOPBACK_NETWORKS: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** Why a URL may not be called. `retryable` is true only for a name that did not resolve (DNS can recover). */
export class OutboundRefusedError extends Error {
  constructor(
    /** For the tenant: "resolves to a private address", "must use http or https", … */
    readonly reason: string,
    readonly retryable = false,
  ) {
    super(`outbound call refused: ${reason}`);
    this.name = 'OutboundRefusedError';
  }
}

export function isOutboundRefusedError(error: unknown): error is OutboundRefusedError {
  return error instanceof OutboundRefusedError;
}

export type OutboundCheck =
  | { ok: true; addresses: ResolvedAddress[]; internal: boolean }
  | { ok: false; reason: string; retryable: boolean };

export interface OutboundResponse {
  response: Response;
  /**
   * True when the peer is a non-public address let through by the allow-list. Callers must then keep the
   * response body out of anything a tenant reads (an allowed network may hold more than the tool).
   */
  internal: boolean;
}

export interface OutboundPolicy {
  /** The allowed networks, normalised (for logs and the README's example). */
  readonly allowNetworks: readonly string[];
  /** One address (no DNS). */
  classify(address: string): AddressVerdict;
  /** Configuration time: resolves the URL's host and checks every address. Never throws. */
  checkUrl(url: string | URL): Promise<OutboundCheck>;
  /**
   * Connection time: checks again and sends the request to exactly the checked addresses, redirects not
   * followed. Throws OutboundRefusedError (nothing is sent) when the URL is refused.
   */
  send(url: string | URL, init?: RequestInit): Promise<OutboundResponse>;
  /** `send` as a drop-in for `fetch`. */
  fetch(url: string | URL, init?: RequestInit): Promise<Response>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

export interface OutboundPolicyOptions {
  /** CIDRs allowed even though they are not public (OUTBOUND_ALLOW_NETWORKS). Default: none. */
  allow?: readonly string[];
  /** Default: the operating system's resolver. */
  resolve?: Resolver;
  /** How many pinned connection pools to keep (one per distinct set of checked addresses). Default 64. */
  maxPools?: number;
}

const MAX_POOLS = 64;
const IDLE_SOCKET_MS = 15_000;

export function createOutboundPolicy(options: OutboundPolicyOptions = {}): OutboundPolicy {
  const allowNetworks = parseNetworks((options.allow ?? []).join(','));
  const allowed: Cidr[] = allowNetworks.map((c) => ipaddr.parseCIDR(c));
  const resolve = options.resolve ?? systemResolver;
  const maxPools = options.maxPools ?? MAX_POOLS;

  function classify(address: string): AddressVerdict {
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      // process(): IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) IPv6 become IPv4.
      ip = ipaddr.process(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
    } catch {
      return { allowed: false, range: 'invalid' };
    }
    const inAllowList = allowed.some(([net, bits]) => ip.kind() === net.kind() && ip.match(net, bits));
    const range = ip.range();
    if (range === 'unicast') return { allowed: true, internal: false };
    if (inAllowList) return { allowed: true, internal: true };
    return { allowed: false, range: RANGE_NAMES[range] ?? 'reserved' };
  }

  async function checkUrl(input: string | URL): Promise<OutboundCheck> {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return { ok: false, reason: 'is not an absolute URL', retryable: false };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return { ok: false, reason: 'must use http or https', retryable: false };
    }
    // WHATWG URL parsing already normalised the host: 2130706433, 0x7f.1 and 127.1 are all 127.0.0.1 here.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: ResolvedAddress[];
    if (net.isIP(host)) {
      addresses = [{ address: host, family: net.isIPv6(host) ? 6 : 4 }];
    } else {
      try {
        addresses = await resolve(host);
      } catch {
        return { ok: false, reason: 'does not resolve', retryable: true };
      }
      if (addresses.length === 0) return { ok: false, reason: 'does not resolve', retryable: true };
    }
    let internal = false;
    for (const { address } of addresses) {
      const verdict = classify(address);
      if (!verdict.allowed) {
        const article = /^[aeiou]/.test(verdict.range) ? 'an' : 'a';
        return { ok: false, reason: `resolves to ${article} ${verdict.range} address`, retryable: false };
      }
      internal ||= verdict.internal;
    }
    return { ok: true, addresses, internal };
  }

  // One keep-alive agent per protocol and distinct set of checked addresses, its lookup pinned to that set:
  // connections are reused, and a socket can only ever open to an address that was checked.
  const pools = new Map<string, http.Agent>();
  function agentFor(protocol: string, addresses: ResolvedAddress[]): http.Agent {
    const key = `${protocol}${addresses.map((a) => a.address).join(',')}`;
    const existing = pools.get(key);
    if (existing) {
      pools.delete(key); // keep the map in least-recently-used order
      pools.set(key, existing);
      return existing;
    }
    // Idle sockets close after the timeout; an agent dropped from the map is then gone with its sockets.
    const options = { keepAlive: true, timeout: IDLE_SOCKET_MS };
    const agent = protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    pools.set(key, agent);
    if (pools.size > maxPools) pools.delete(pools.keys().next().value as string);
    return agent;
  }

  async function send(input: string | URL, init: RequestInit = {}): Promise<OutboundResponse> {
    const signal = init.signal ?? undefined;
    // The caller's timeout covers the DNS lookup too.
    const checked = await untilAborted(checkUrl(input), signal);
    if (!checked.ok) throw new OutboundRefusedError(checked.reason, checked.retryable);
    const url = new URL(input);
    const response = await request(url, init, {
      agent: agentFor(url.protocol, checked.addresses),
      lookup: pinnedLookup(checked.addresses),
    });
    return { response, internal: checked.internal };
  }

  return {
    allowNetworks,
    classify,
    checkUrl,
    send,
    fetch: async (input, init) => (await send(input, init)).response,
    async close() {
      for (const agent of pools.values()) agent.destroy();
      pools.clear();
    },
  };
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/**
 * One HTTP exchange as a fetch `Response`, over node:http/https with the given agent and lookup (no fetch
 * dispatcher is touched: the process's global fetch stays as it was). Redirects are returned, never followed.
 * Bodies are strings or bytes; an aborted signal fails the request or the body's reading with its reason.
 */
function request(
  url: URL,
  init: RequestInit,
  connection: { agent: http.Agent; lookup: ReturnType<typeof pinnedLookup> },
): Promise<Response> {
  const { body, signal } = init;
  if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    return Promise.reject(new TypeError('outbound requests take a string or byte body'));
  }
  const method = (init.method ?? 'GET').toUpperCase();
  const headerList: Array<[string, string]> = [];
  new Headers(init.headers).forEach((value, name) => headerList.push([name, value]));
  const headers = Object.fromEntries(headerList);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let incoming: http.IncomingMessage | undefined;
    const onAbort = () => {
      req.destroy(signal!.reason);
      incoming?.destroy(signal!.reason);
    };
    const done = () => signal?.removeEventListener('abort', onAbort);
    const req = transport.request(
      url,
      { method, headers, agent: connection.agent, lookup: connection.lookup },
      (res) => {
        incoming = res;
        res.once('close', done);
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 599) {
          res.destroy();
          reject(new Error(`invalid HTTP status ${status}`));
          return;
        }
        const responseHeaders = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        }
        const noBody = method === 'HEAD' || NULL_BODY_STATUSES.has(status);
        if (noBody) res.resume();
        resolve(
          new Response(noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>), {
            status,
            statusText: res.statusMessage,
            headers: responseHeaders,
          }),
        );
      },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('error', (error) => {
      done();
      reject(error);
    });
    req.end(body ?? undefined);
  });
}

/** Settles like `work`, or rejects with the signal's reason (a TimeoutError for AbortSignal.timeout) first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | Array<{ address: string; family: number }>,
  family?: number,
) => void;

/** A `net.connect` lookup that answers with the given addresses and never asks DNS. */
function pinnedLookup(addresses: ResolvedAddress[]) {
  return (_hostname: string, opts: { family?: number | string; all?: boolean }, callback: LookupCallback) => {
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family ?? 0);
    const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
    const [first] = usable;
    if (!first) {
      const error: NodeJS.ErrnoException = new Error('no checked address of the requested family');
      error.code = 'ENOTFOUND';
      callback(error, opts.all ? [] : '', undefined);
      return;
    }
    if (opts.all) callback(null, usable);
    else callback(null, first.address, first.family);
  };
}

/** A refusal for a configuration API: the field and the reason, or undefined when the URL may be called. */
export async function checkConfiguredUrl(
  policy: OutboundPolicy,
  field: string,
  url: string,
): Promise<{ field: string; message: string } | undefined> {
  const checked = await policy.checkUrl(url);
  return checked.ok ? undefined : { field, message: checked.reason };
}
