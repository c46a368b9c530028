// Turns a queued email's template and data into its subject, plain text and HTML, from
// views/email/<template>.txt.eta (first line `Subject: …`, a blank line, the body) and
// views/email/<template>.html.eta (the HTML body, escaped, put inside views/email/layout.html.eta).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Eta } from 'eta';
import { VIEWS_DIR } from '../http/views.ts';

export const EMAIL_VIEWS_DIR = join(VIEWS_DIR, 'email');

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** A queued email that can never be sent as it is (no such template, a link outside ISSUER): retrying will not help. */
export class UndeliverableEmailError extends Error {
  override readonly name = 'UndeliverableEmailError';
}

const TEMPLATE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
// Values are one line of text: a name with a line break cannot end the subject early or forge one.
const LINE_BREAKS_AND_CONTROLS = /[\x00-\x08\x0a-\x1f\x7f\u0085\u2028\u2029]+/gu;
/** Data keys that carry a link: it must be an absolute URL under ISSUER (never a relative or foreign one). */
const LINK_KEY = /(url|link)$/i;

export type RenderEmail = (template: string, data: Record<string, string>) => RenderedEmail;

export function createEmailRenderer(issuer: string, viewsDir = EMAIL_VIEWS_DIR): RenderEmail {
  const html = new Eta({ views: viewsDir, autoEscape: true, cache: true, useWith: false });
  // plain text is not escaped, and not trimmed either: `Subject: <%= it.x %>` keeps the line break after it
  const text = new Eta({ views: viewsDir, autoEscape: false, autoTrim: false, cache: true, useWith: false });
  const base = `${issuer}/`;
  return (template, data) => {
    if (!TEMPLATE_NAME.test(template) || !existsSync(join(viewsDir, `${template}.txt.eta`)))
      throw new UndeliverableEmailError(`no email template "${template}"`);
    const clean: Record<string, string> = {};
    for (const [key, value] of Object.entries(data)) {
      if (typeof value !== 'string') throw new UndeliverableEmailError(`the value of "${key}" is not text`);
      if (LINK_KEY.test(key) && !value.startsWith(base)) throw new UndeliverableEmailError(`the link "${key}" is not under ISSUER`);
      clean[key] = value.replace(LINE_BREAKS_AND_CONTROLS, ' ');
    }
    const rendered = text.render(`./${template}.txt.eta`, clean).replace(/\r\n?/g, '\n');
    const match = /^Subject: ([^\n]+)\n\n([\s\S]*)$/.exec(rendered);
    if (!match) throw new UndeliverableEmailError(`views/email/${template}.txt.eta must start with "Subject: …" and a blank line`);
    return {
      subject: match[1]!.trim(),
      text: match[2]!,
      // the template is the body; the layout around it is the same for every email
      html: html.render(`./layout.html.eta`, { title: match[1]!.trim(), body: html.render(`./${template}.html.eta`, clean) }),
    };
  };
}
