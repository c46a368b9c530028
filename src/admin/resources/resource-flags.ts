// The `portcullis resources ...` flags that more than one command takes: the positional identifier
// and the registry entry (create and update). Each names the input field it fills.
import { RISK_LEVELS, RISK_TREATMENTS } from '../../storage/resource-reviews.ts';
import { CLASSIFICATIONS } from '../../storage/resource-servers.ts';
import { DEFAULT_ACCESS_TOKEN_ALG, SIGNING_ALGORITHMS } from '../../security/signing-algorithms.ts';
import { integer, list, listOrNone, text, type CliBinding, type FlagSpec } from '../operation/cli-binding.ts';

export const resourceTarget: NonNullable<CliBinding['target']> = { placeholder: 'identifier', field: 'identifier', flag: 'identifier' };

export const identifierFlag: FlagSpec = {
  type: 'string',
  value: 'uri',
  help: 'the resource server (instead of the positional argument)',
  field: 'identifier',
};

/** `--scope read` or `--scope "read=Read the things"`. */
export const scopeFlag = (value: string) => {
  const at = value.indexOf('=');
  return at < 0 ? { name: value } : { name: value.slice(0, at), description: value.slice(at + 1) };
};

/** The flags of the registry entry, as `resources create` takes them (update changes some helps and parsers). */
export const registryFlags = {
  name: { type: 'string', value: 'name', help: 'display name', field: 'name' },
  description: { type: 'string', value: 'text', help: 'what the API is', field: 'description' },
  owner: { type: 'string', value: 'contact', help: 'the team or person to contact about the API', field: 'owner' },
  purpose: { type: 'string', value: 'text', help: 'what the API is for (why it exists, who uses it)', field: 'purpose' },
  classification: { type: 'string', value: 'level', help: `data classification: ${CLASSIFICATIONS.join(' | ')}`, field: 'classification' },
  'live-date': { type: 'string', value: 'YYYY-MM-DD', help: 'when the API went (or goes) live', field: 'liveDate' },
  'next-review-date': { type: 'string', value: 'YYYY-MM-DD', help: 'when the API is next due for review', field: 'nextReviewDate' },
  scope: {
    type: 'string',
    multiple: true,
    value: 'name[=description]',
    help: 'a scope the API defines (repeatable)',
    field: 'scopes',
    parse: (value) => list(value).map(scopeFlag),
  },
  'token-ttl': {
    type: 'string',
    value: 'seconds',
    help: 'access-token lifetime, 30..86400 (default ACCESS_TOKEN_TTL)',
    field: 'tokenTtl',
    parse: (value) => integer(text(value)),
  },
  'token-alg': {
    type: 'string',
    value: SIGNING_ALGORITHMS.join('|'),
    help: `the signing algorithm of its access tokens, what the API's library verifies (default ${DEFAULT_ACCESS_TOKEN_ALG})`,
    field: 'tokenAlg',
  },
  'introspecting-client': {
    type: 'string',
    multiple: true,
    value: 'client-id',
    help: "a client that may introspect the API's access tokens besides each token's own client (repeatable)",
    field: 'introspectingClients',
  },
} satisfies Record<string, FlagSpec>;

/** The risk assessment a review records (`resources review`); a list flag given replaces the list, "none" empties it. */
export const riskFlags = {
  'risk-level': { type: 'string', value: RISK_LEVELS.join('|'), help: 'how bad a compromise of the API would be', field: 'riskLevel' },
  'impacted-system': {
    type: 'string',
    multiple: true,
    value: 'name',
    help: 'a system a compromise of the API would reach (repeatable: the whole new list; "none" empties it)',
    field: 'impactedSystems',
    parse: listOrNone,
  },
  'impacted-data': {
    type: 'string',
    multiple: true,
    value: 'kind',
    help: 'a kind of data a compromise of the API would expose (repeatable: the whole new list; "none" empties it)',
    field: 'impactedData',
    parse: listOrNone,
  },
  treatment: { type: 'string', value: RISK_TREATMENTS.join('|'), help: 'how the risk is treated (ISO/IEC 27005)', field: 'treatment' },
  'treatment-plan': { type: 'string', value: 'text', help: 'the plan: what is done, by whom, by when', field: 'treatmentPlan' },
  control: {
    type: 'string',
    multiple: true,
    value: 'text',
    help: 'a control that treats the risk (repeatable: the whole new list; "none" empties it); a mitigation needs one',
    field: 'controls',
    parse: listOrNone,
  },
} satisfies Record<string, FlagSpec>;
