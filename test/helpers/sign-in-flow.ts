// A browser walking a sign-in page by page, for the tests of the second factor: it submits whichever
// form the page shows and reports where it ended up.
import { randomBytes } from 'node:crypto';
import { generateSync } from 'otplib';
import { PASSWORD, REDIRECT_URI } from './fixtures.ts';
import { pkcePair, UserAgent } from './user-agent.ts';

export interface Page {
  status: number;
  url: string;
  html: string;
  /** The authorization code, once the browser reached the client's redirect URI. */
  code?: string | undefined;
  error?: string | undefined;
}

export class SignIn {
  readonly agent: UserAgent;
  readonly issuer: string;
  readonly verifier: string;
  page: Page = { status: 0, url: '', html: '' };

  constructor(issuer: string, agent = new UserAgent()) {
    this.issuer = issuer;
    this.agent = agent;
    this.verifier = '';
  }

  /** Starts an authorization request (first-party clients skip consent) and stops at the first page. */
  static async start(issuer: string, clientId: string, extra: Record<string, string> = {}, agent?: UserAgent): Promise<SignIn> {
    const flow = new SignIn(issuer, agent);
    const pkce = pkcePair();
    Object.assign(flow, { verifier: pkce.verifier });
    const query = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      state: randomBytes(6).toString('hex'),
      ...extra,
    });
    await flow.go(`${issuer}/auth?${query}`);
    return flow;
  }

  async go(url: string, init: RequestInit = {}): Promise<Page> {
    const { response, url: reached } = await this.agent.follow(url, init);
    const callback = reached.startsWith(REDIRECT_URI) ? new URL(reached) : undefined;
    this.page = {
      status: response.status,
      url: reached,
      html: callback ? '' : await response.text(),
      code: callback?.searchParams.get('code') ?? undefined,
      error: callback?.searchParams.get('error') ?? undefined,
    };
    return this.page;
  }

  /** Posts the page's form whose action ends with `actionEnd`. */
  async submit(actionEnd: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    return this.go(this.action(actionEnd), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.issuer, ...headers },
      body: new URLSearchParams(fields),
    });
  }

  /** The absolute URL of the page's form whose action ends with `actionEnd`. */
  action(actionEnd: string): string {
    const actions = [...this.page.html.matchAll(/<form method="post" action="([^"]+)"/g)].map((match) =>
      match[1]!.replaceAll('&amp;', '&'),
    );
    const action = actions.find((candidate) => candidate.endsWith(actionEnd));
    if (!action) throw new Error(`no form ending in ${actionEnd} on ${this.page.url} (forms: ${actions.join(', ')})`);
    return new URL(action, this.issuer).toString();
  }

  password(email: string, password = PASSWORD): Promise<Page> {
    return this.submit('/login', { email, password });
  }

  /** The authenticator key shown on the enrolment page. */
  enrolmentSecret(): string {
    const secret = /<code id="totp-secret">([^<]+)<\/code>/.exec(this.page.html)?.[1];
    if (!secret) throw new Error(`no authenticator key on ${this.page.url}`);
    return secret.replace(/\s+/g, '');
  }

  recoveryCodes(): string[] {
    return [...this.page.html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((match) => match[1]!);
  }
}

/** The TOTP code of `secret` at `atMs` (what an authenticator app shows). */
export const totpCode = (secret: string, atMs = Date.now()) => generateSync({ secret, epoch: Math.floor(atMs / 1000) });
