// The registration emails' templates: each .txt starts with its `Subject:` line and a blank line,
// shows every item of the data its sender queues (and reads no other), and the .html escapes what it
// shows (a name is typed by whoever signs up). Rendered with Eta as the email renderer does.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { Eta } from 'eta';

const views = new URL('../../views/email/', import.meta.url);
const eta = new Eta({ views: views.pathname, autoEscape: true, useWith: false });

const DATA: Record<string, Record<string, string>> = {
  'verify-email': { name: 'Ada <b>Example</b>', link: 'http://localhost:3000/account/verify-email?token=T0KEN' },
  'account-exists': {
    name: 'Ada <b>Example</b>',
    signInUrl: 'http://localhost:3000/account',
    resetUrl: 'http://localhost:3000/account/forgot-password',
  },
  invite: {
    name: 'Ada <b>Example</b>',
    inviter: 'Grace Admin',
    link: 'http://localhost:3000/account/invitation?token=T0KEN',
    expiresInDays: '7',
  },
};

for (const [template, data] of Object.entries(DATA)) {
  test(`${template}: a subject line, every datum shown, none missing, markup escaped in HTML`, (t) => {
    const text = eta.render(`./${template}.txt.eta`, data);
    const [subject, blank] = text.split('\n');
    t.regex(subject!, /^Subject: \S/);
    t.is(blank, '');
    const html = eta.render(`./${template}.html.eta`, data);
    for (const [key, value] of Object.entries(data)) {
      if (key === 'name') continue;
      t.true(text.includes(value), `${template}.txt shows ${key}`);
      t.true(html.includes(value), `${template}.html shows ${key}`);
    }
    t.true(html.includes('Ada &lt;b&gt;Example&lt;/b&gt;'), 'the name is escaped');
    t.false(html.includes('<b>Example'), 'no markup from the data');
    // every `it.<key>` the templates read is data the sender queues
    for (const file of [`${template}.txt.eta`, `${template}.html.eta`]) {
      const keys = [...readFileSync(new URL(file, views), 'utf8').matchAll(/it\.(\w+)/g)].map((match) => match[1]!);
      for (const key of keys) t.true(key in data, `${file} reads it.${key}, which is queued`);
    }
  });
}
