// The commands of the README's "Use it from your app" (and the quick start's API it uses), word for
// word (a line continuation there is one space here): the interop suite runs these, with the
// README's example origins (http://localhost:3000 for Portcullis, http://localhost:8080 for the
// app) replaced by the test's.
// test/unit/readme-interop.test.ts holds the README and this list to each other.
export const README_COMMANDS = {
  expressOpenidConnect: 'npx portcullis clients create --name "Express app" --redirect-uri http://localhost:8080/callback',
  passportOpenidconnect:
    'npx portcullis clients create --name "Passport app" --redirect-uri http://localhost:8080/callback --auth-method client_secret_post --pkce optional',
  openidClient:
    'npx portcullis clients create --name "My app" --redirect-uri http://localhost:8080/callback --auth-method client_secret_post --resource https://api.example.com --scope read',
  oidcClientTs: 'npx portcullis clients create --name "My SPA" --redirect-uri http://localhost:8080/callback --auth-method none',
  /** the quick start's API, which the section's examples use */
  api: 'npx portcullis resources create --identifier https://api.example.com --name "Example API" --scope "read=Read your data" --scope "write=Change your data"',
  worker: 'npx portcullis clients create --name "Worker" --grant-type client_credentials --resource https://api.example.com --scope read',
} as const;
