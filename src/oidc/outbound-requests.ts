// The server's own outbound requests (oidc-provider's `fetch`): a private_key_jwt client's
// `jwks_uri`, a client's `backchannel_logout_uri`. Whoever registers a client chooses these URLs, so
// they must not reach what only the server can reach (SSRF): loopback, private networks, link-local
// addresses and the cloud metadata service. The check is made WHEN FETCHED, on the address actually
// connected to — a name is resolved once, checked, and the connection goes to that checked address
// (no second resolution an attacker's DNS could answer differently); every redirect hop is checked
// the same way. Registration-time checks (src/admin/clients/client-input.ts) cannot do this: DNS changes.
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Readable, Transform } from 'node:stream';

/**
 * What an address is, for the outbound policy. `link-local` includes the cloud metadata services
 * (169.254.169.254, fd00:ec2::254); `special` is every other non-global address (unspecified,
 * multicast, broadcast, documentation, benchmarking, NAT64 and 6to4 prefixes that embed an IPv4
 * address, anything outside IPv6 global unicast).
 */
export type AddressKind = 'loopback' | 'private' | 'link-local' | 'special' | 'public';

const ranges = (v4: string[], v6: string[]) => {
  const list = new BlockList();
  for (const range of v4) list.addSubnet(range.split('/')[0]!, Number(range.split('/')[1]), 'ipv4');
  for (const range of v6) list.addSubnet(range.split('/')[0]!, Number(range.split('/')[1]), 'ipv6');
  return list;
};

/** Checked in this order: the first range an address falls in names its kind. */
const KINDS: readonly (readonly [AddressKind, BlockList])[] = [
  ['loopback', ranges(['127.0.0.0/8'], ['::1/128'])],
  ['link-local', ranges(['169.254.0.0/16'], ['fe80::/10', 'fd00:ec2::254/128'])],
  ['private', ranges(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'], ['fc00::/7', 'fec0::/10'])],
  [
    'special',
    ranges(
      [
        '0.0.0.0/8',
        '192.0.0.0/24',
        '192.0.2.0/24',
        '192.88.99.0/24',
        '198.18.0.0/15',
        '198.51.100.0/24',
        '203.0.113.0/24',
        '224.0.0.0/4',
        '240.0.0.0/4',
      ],
      ['::/96', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16', '3fff::/20', 'ff00::/8'],
    ),
  ],
];
const GLOBAL_UNICAST_V6 = ranges([], ['2000::/3']);

/**
 * The kind of an IP address (a URL's bracketed IPv6 host is accepted), or undefined when `host` is
 * not an address but a name. IPv4-mapped IPv6 addresses are classified as the IPv4 address they carry.
 */
export function classifyAddress(host: string): AddressKind | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  if (family === 0) return undefined;
  if (family === 4) return kindOf(bare, 'ipv4');
  const canonical = new URL(`http://[${bare.split('%')[0]}]`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
    return kindOf(`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`, 'ipv4');
  }
  const kind = kindOf(canonical, 'ipv6');
  return kind === 'public' && !GLOBAL_UNICAST_V6.check(canonical, 'ipv6') ? 'special' : kind;
}

function kindOf(address: string, family: 'ipv4' | 'ipv6'): AddressKind {
  for (const [kind, list] of KINDS) if (list.check(address, family)) return kind;
  return 'public';
}

export interface OutboundPolicy {
  /**
   * ALLOW_PRIVATE_OUTBOUND (development only): loopback and private addresses may be reached too.
   * Link-local addresses (the cloud metadata service) and special-use ones never are.
   */
  allowPrivate: boolean;
}

export const addressAllowed = (kind: AddressKind, policy: OutboundPolicy): boolean =>
  kind === 'public' || (policy.allowPrivate && (kind === 'loopback' || kind === 'private'));

/** An outbound request the policy refuses; nothing was sent, no connection was opened. */
export class OutboundRequestRefused extends Error {
  readonly code = 'outbound_request_refused';
  override name = 'OutboundRequestRefused';
}

/** Resolves a host name to all its addresses (dns.lookup; tests inject their own). */
export type AddressLookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemLookup: AddressLookup = (hostname) => dnsLookup(hostname, { all: true, order: 'verbatim' });

/** Redirects followed for GET/HEAD (each hop checked like the first); other methods get the 3xx. */
const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** A JWKS or a logout answer is small; a bigger body is cut off rather than buffered. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Used only when the caller sets no signal (oidc-provider sets 2.5 s). */
const DEFAULT_TIMEOUT_MS = 5000;

export type OutboundFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** A `fetch` for oidc-provider's `fetch` option that applies `policy` to every address it connects to. */
export function createOutboundFetch(policy: OutboundPolicy, deps: { lookup?: AddressLookup } = {}): OutboundFetch {
  const lookup = deps.lookup ?? systemLookup;

  /** The one address to connect to for `url`, checked; a refusal names the reason. */
  async function checkedAddress(url: URL, signal: AbortSignal): Promise<{ address: string; family: number }> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRequestRefused(`${url.protocol} URLs are not fetched`);
    const literal = classifyAddress(url.hostname);
    if (literal !== undefined) {
      if (!addressAllowed(literal, policy)) throw new OutboundRequestRefused(`${url.hostname} is a ${literal} address`);
      const address = url.hostname.replace(/^\[|\]$/g, '');
      return { address, family: isIP(address) };
    }
    const resolved = await abortable(lookup(url.hostname), signal);
    if (resolved.length === 0) throw new OutboundRequestRefused(`${url.hostname} does not resolve`);
    // every address the name has must pass: otherwise the connection could pick the internal one
    for (const { address } of resolved) {
      const kind = classifyAddress(address) ?? 'special';
      if (!addressAllowed(kind, policy)) throw new OutboundRequestRefused(`${url.hostname} resolves to ${address}, a ${kind} address`);
    }
    return resolved[0]!;
  }

  return async function outboundFetch(input, init = {}) {
    let url = new URL(String(input));
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = bodyOf(init.body, headers);
    const signal = init.signal ?? AbortSignal.timeout(DEFAULT_TIMEOUT_MS);
    for (let hop = 0; ; hop++) {
      const target = await checkedAddress(url, signal);
      const response = await requestOnce(url, target, { method, headers, signal }, body);
      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || !location || init.redirect === 'manual' || (method !== 'GET' && method !== 'HEAD'))
        return response;
      await response.body?.cancel();
      if (init.redirect === 'error') throw new TypeError(`redirect from ${url.href} refused (redirect: error)`);
      if (hop >= MAX_REDIRECTS) throw new TypeError(`more than ${MAX_REDIRECTS} redirects from ${String(input)}`);
      url = new URL(location, url);
    }
  };
}

/** `promise`, or the signal's reason once it aborts (a name server that never answers). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

function bodyOf(body: RequestInit['body'], headers: Record<string, string>): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    return body.toString();
  }
  throw new TypeError('outbound requests send string or form bodies only');
}

/** One HTTP exchange with the checked address; the answer as a fetch Response (body capped). */
function requestOnce(
  url: URL,
  target: { address: string; family: number },
  options: RequestOptions & { signal: AbortSignal },
  body: string | undefined,
): Promise<Response> {
  // Connect to the address that was checked, never to a fresh resolution of the name (DNS rebinding).
  // The URL keeps its host name, so TLS still verifies the certificate for that name.
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) (callback as unknown as (error: null, addresses: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    const request = send(url, { ...options, agent: false, lookup: pinned }, (answer) => {
      try {
        resolve(toResponse(answer, options.method === 'HEAD'));
      } catch (error) {
        answer.destroy();
        reject(error);
      }
    });
    request.on('error', reject);
    request.end(body);
  });
}

function toResponse(answer: IncomingMessage, head: boolean): Response {
  const status = answer.statusCode ?? 0;
  if (status < 200 || status > 599) throw new TypeError(`unexpected HTTP status ${status}`);
  const declared = Number(answer.headers['content-length']);
  if (declared > MAX_RESPONSE_BYTES) throw new TypeError(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
  }
  if (head || status === 204 || status === 205 || status === 304) {
    answer.resume();
    return new Response(null, { status, statusText: answer.statusMessage ?? '', headers });
  }
  let received = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      done(received > MAX_RESPONSE_BYTES ? new TypeError(`response larger than ${MAX_RESPONSE_BYTES} bytes`) : null, chunk);
    },
  });
  answer.on('error', (error) => capped.destroy(error));
  const stream = Readable.toWeb(answer.pipe(capped)) as unknown as ReadableStream<Uint8Array>;
  return new Response(stream, { status, statusText: answer.statusMessage ?? '', headers });
}
