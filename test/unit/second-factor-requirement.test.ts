// Who must sign in with a second factor: the policy, the user's and the client's flags, and the
// request's acr.
import test from 'ava';
import { ACR_MFA, ACR_PASSWORD, requestedAcrs, secondFactorStep, type MfaFacts } from '../../src/accounts/second-factor-requirement.ts';

const facts = (overrides: Partial<MfaFacts> = {}): MfaFacts => ({
  policy: 'optional',
  account: { mfaRequired: false, isAdmin: false },
  client: { requireMfa: false },
  hasFactor: false,
  requestedAcrs: [],
  ...overrides,
});

test('optional: the password is enough until the user has a factor, then the factor is always asked', (t) => {
  t.is(secondFactorStep(facts()), 'none');
  t.is(secondFactorStep(facts({ hasFactor: true })), 'verify');
});

test('required: a user without a factor enrols; off: nobody is asked by the policy and factors lie unused', (t) => {
  t.is(secondFactorStep(facts({ policy: 'required' })), 'enrol');
  t.is(secondFactorStep(facts({ policy: 'required', hasFactor: true })), 'verify');
  t.is(secondFactorStep(facts({ policy: 'off', hasFactor: true })), 'none');
  t.is(secondFactorStep(facts({ policy: 'off', requestedAcrs: [ACR_MFA] })), 'none');
});

test('administrators, users and clients marked as needing MFA need it whatever the policy', (t) => {
  for (const policy of ['off', 'optional', 'required'] as const) {
    t.is(secondFactorStep(facts({ policy, account: { mfaRequired: false, isAdmin: true } })), 'enrol', `admin, ${policy}`);
    t.is(secondFactorStep(facts({ policy, account: { mfaRequired: true, isAdmin: false } })), 'enrol', `user flag, ${policy}`);
    t.is(secondFactorStep(facts({ policy, client: { requireMfa: true } })), 'enrol', `client flag, ${policy}`);
    t.is(secondFactorStep(facts({ policy, client: { requireMfa: true }, hasFactor: true })), 'verify');
  }
});

test('a request asking for the multi-factor acr gets it (step-up); asking for the password acr changes nothing', (t) => {
  t.is(secondFactorStep(facts({ requestedAcrs: [ACR_MFA] })), 'enrol');
  t.is(secondFactorStep(facts({ requestedAcrs: [ACR_PASSWORD] })), 'none');
});

test('requested acr values come from acr_values and from the claims parameter', (t) => {
  t.deepEqual(requestedAcrs({ acr_values: `${ACR_PASSWORD} ${ACR_MFA}` }, undefined), [ACR_PASSWORD, ACR_MFA]);
  t.deepEqual(requestedAcrs({}, { id_token: { acr: { essential: true, values: [ACR_MFA, 7] } } }), [ACR_MFA]);
  t.deepEqual(requestedAcrs({}, { id_token: { acr: { value: ACR_MFA } } }), [ACR_MFA]);
  t.deepEqual(requestedAcrs(undefined, 'not an object'), []);
  // an interaction's params hold the claims parameter as its JSON text
  t.deepEqual(requestedAcrs({}, JSON.stringify({ id_token: { acr: { values: [ACR_MFA] } } })), [ACR_MFA]);
  t.deepEqual(requestedAcrs({}, '{"id_token":'), []);
});
