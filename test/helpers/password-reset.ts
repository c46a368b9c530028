// A browser walking the forgotten-password pages: asks for a link, reads it from the outbox, opens
// it, proves a second factor when asked, and sets a new password.
import { lastEmailTo } from './outbox.ts';
import type { TestServer } from './server.ts';
import { UserAgent } from './user-agent.ts';

export interface ResetPage {
  status: number;
  html: string;
  headers: Headers;
}

export const NEW_PASSWORD = 'violet harbour kettle marmalade 42';

export class PasswordReset {
  readonly server: TestServer;
  readonly agent: UserAgent;

  constructor(server: TestServer, agent = new UserAgent()) {
    this.server = server;
    this.agent = agent;
  }

  async get(pathOrUrl: string): Promise<ResetPage> {
    const response = await this.agent.request(new URL(pathOrUrl, this.server.url).toString());
    return { status: response.status, html: await response.text(), headers: response.headers };
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<ResetPage> {
    const response = await this.agent.request(new URL(path, this.server.url).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.server.url, ...headers },
      body: new URLSearchParams(form),
    });
    return { status: response.status, html: await response.text(), headers: response.headers };
  }

  /** "Forgot your password?" for `email`. */
  request(email: string, interaction?: string): Promise<ResetPage> {
    return this.post('/account/forgot-password', { email, ...(interaction ? { interaction } : {}) });
  }

  /** The link of the last reset email queued for `email`. */
  async link(email: string): Promise<string> {
    return (await lastEmailTo(this.server, email, 'password-reset')).data.link!;
  }

  /** The link's token. */
  static tokenOf(link: string): string {
    return new URL(link).searchParams.get('token')!;
  }

  /** Sets `password` with the link's token (the page's final form). */
  setPassword(token: string, password = NEW_PASSWORD, confirmation = password): Promise<ResetPage> {
    return this.post('/account/reset-password', { token, password, confirmation });
  }

  /** Asks, opens the link, and sets `password`: the whole walk of an account without a second factor. */
  async resetTo(email: string, password = NEW_PASSWORD): Promise<ResetPage> {
    await this.request(email);
    const link = await this.link(email);
    await this.get(link);
    return this.setPassword(PasswordReset.tokenOf(link), password);
  }
}
