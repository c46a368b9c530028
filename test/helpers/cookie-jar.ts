// The cookies a browser keeps: stored from Set-Cookie headers (a cleared or expired one is dropped),
// sent back as one Cookie header. No domains or paths: every test talks to one server.
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(setCookieHeaders: readonly string[]): void {
    for (const header of setCookieHeaders) {
      const [pair] = header.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(header) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  get header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}
