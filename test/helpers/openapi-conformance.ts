// Checks admin API answers against the OpenAPI document the server publishes: the answer's path and
// method must be an operation of the document, its status one of that operation's responses, and
// its JSON body valid against that response's schema (JSON Schema 2020-12, formats checked).
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: its plugin is the module's default export's `default`.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv2020,
) => void;

type Json = Record<string, any>;

export interface AdminAnswer {
  method: string;
  /** The request path, the API prefix included; a query string is ignored. */
  path: string;
  status: number;
  body: unknown;
  headers: Headers;
}

export class OpenApiConformance {
  readonly #document: Json;
  readonly #prefix: string;
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #ajv: Ajv2020;
  readonly #templates: { template: string; pattern: RegExp }[];
  /** What did not conform, one line each. */
  readonly problems: string[] = [];
  checked = 0;

  constructor(document: Json) {
    this.#document = document;
    this.#prefix = new URL(document.servers[0].url).pathname;
    this.#ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(this.#ajv);
    // The component schemas become the `$defs` of one schema, so `$ref`s resolve within it.
    const defs = JSON.parse(JSON.stringify(document.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'));
    this.#ajv.addSchema({ $id: 'urn:admin-api:components', $defs: defs });
    this.#templates = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
    }));
  }

  /** Every request body schema compiles (the zod-generated ones included). */
  compileRequestSchemas(): void {
    for (const [template, operations] of Object.entries(this.#document.paths as Record<string, Json>)) {
      for (const [method, operation] of Object.entries(operations)) {
        const schema = operation.requestBody?.content?.['application/json']?.schema;
        if (!schema) continue;
        try {
          this.#ajv.compile(schema);
        } catch (error) {
          this.problems.push(`${method.toUpperCase()} ${template}: request schema does not compile: ${(error as Error).message}`);
        }
      }
    }
  }

  check(answer: AdminAnswer): void {
    this.checked++;
    const where = `${answer.method} ${answer.path} -> ${answer.status}`;
    const path = new URL(answer.path, 'http://x').pathname;
    if (!path.startsWith(this.#prefix)) return void this.problems.push(`${where}: outside the API (${this.#prefix})`);
    const relative = path.slice(this.#prefix.length);
    const template = this.#templates.find((candidate) => candidate.pattern.test(relative))?.template;
    const operation = template && this.#document.paths[template][answer.method.toLowerCase()];
    if (!operation) return void this.problems.push(`${where}: no such operation in the document`);
    const response = operation.responses[String(answer.status)];
    if (!response)
      return void this.problems.push(`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`);
    for (const header of Object.keys(response.headers ?? {})) {
      if (header === 'WWW-Authenticate' && !answer.headers.get(header)) this.problems.push(`${where}: no ${header} header`);
    }
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return;
    const key = `${template} ${answer.method} ${answer.status}`;
    let validate = this.#validators.get(key);
    if (!validate) {
      const ref = String(schema.$ref).replace('#/components/schemas/', 'urn:admin-api:components#/$defs/');
      validate = this.#ajv.compile({ $ref: ref });
      this.#validators.set(key, validate);
    }
    if (!validate(answer.body))
      this.problems.push(`${where}: ${this.#ajv.errorsText(validate.errors)} in ${JSON.stringify(answer.body).slice(0, 300)}`);
  }
}
