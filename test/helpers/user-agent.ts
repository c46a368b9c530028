// A minimal browser for integration tests: keeps cookies, follows redirects by hand, submits the
// login and consent forms, and stops at the client's redirect URI.
import { createHash, randomBytes } from 'node:crypto';
import { PASSWORD, REDIRECT_URI } from './fixtures.ts';
import { CookieJar } from './cookie-jar.ts';

export class UserAgent {
  readonly #jar = new CookieJar();

  /** Plants a cookie as if a server had set it (a stolen or forged one). */
  setCookie(name: string, value: string): void {
    this.#jar.store([`${name}=${value}`]);
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = this.#jar.header;
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    this.#jar.store(response.headers.getSetCookie());
    return response;
  }

  /** Follows redirects until a page is rendered or the client's redirect URI is reached. */
  async follow(url: string, init: RequestInit = {}, stopAt = REDIRECT_URI): Promise<{ response: Response; url: string }> {
    let response = await this.request(url, init);
    let current = url;
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      const location = new URL(response.headers.get('location')!, current).toString();
      if (location.startsWith(stopAt)) return { response, url: location };
      await response.arrayBuffer();
      current = location;
      response = await this.request(location);
    }
    return { response, url: current };
  }

  async submit(url: string, form: Record<string, string>, origin: string) {
    return this.follow(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams(form),
    });
  }
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeOptions {
  issuer: string;
  clientId: string;
  scope?: string;
  resource?: string;
  email: string;
  password?: string;
  extra?: Record<string, string>;
  agent?: UserAgent;
  consent?: boolean;
  /** Origin the browser sends with form posts (the issuer's, unless a test talks to another process). */
  origin?: string;
  /** false: no code_challenge (a client registered with `pkce: 'optional'`, or a downgrade attempt). */
  pkce?: boolean;
}

/** Walks authorize -> login -> consent and returns the authorization code and PKCE verifier. */
export async function authorize(options: AuthorizeOptions) {
  const agent = options.agent ?? new UserAgent();
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(8).toString('hex');
  const query = new URLSearchParams({
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: options.scope ?? 'openid profile email offline_access',
    ...(options.pkce === false ? {} : { code_challenge: challenge, code_challenge_method: 'S256' }),
    state,
    ...(options.scope?.includes('offline_access') !== false ? { prompt: 'consent' } : {}),
    ...(options.resource ? { resource: options.resource } : {}),
    ...options.extra,
  });
  let { response, url } = await agent.follow(`${options.issuer}/auth?${query}`);
  const pages: string[] = [];
  for (let step = 0; step < 4 && !url.startsWith(REDIRECT_URI); step++) {
    const html = await response.text();
    pages.push(html);
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!action) break;
    const target = new URL(action.replaceAll('&amp;', '&'), options.issuer).toString();
    if (action.endsWith('/login')) {
      ({ response, url } = await agent.submit(
        target,
        { email: options.email, password: options.password ?? PASSWORD },
        options.origin ?? options.issuer,
      ));
    } else if (action.endsWith('/confirm')) {
      if (options.consent === false) {
        ({ response, url } = await agent.submit(target.replace('/confirm', '/abort'), {}, options.origin ?? options.issuer));
      } else {
        ({ response, url } = await agent.submit(target, {}, options.origin ?? options.issuer));
      }
    } else break;
  }
  const callback = url.startsWith(REDIRECT_URI) ? new URL(url) : undefined;
  return {
    agent,
    verifier,
    state,
    pages,
    response,
    callback,
    code: callback?.searchParams.get('code') ?? undefined,
    error: callback?.searchParams.get('error') ?? undefined,
  };
}
