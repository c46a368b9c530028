// A DPoP proof's jti is remembered for as long as the proof could be accepted: a copy replayed at any
// instant its iat is still recent must find the jti remembered (RFC 9449 §11.1).
import test from 'ava';
import fc from 'fast-check';
import { DPOP_PROOF_WINDOW_SECONDS, isRecentProof, proofRecentUntil } from '../../src/oidc/dpop-proof.ts';

test('every instant at which a proof is still recent comes before its jti is forgotten', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1_700_000_000, max: 1_900_000_000 }), // iat, seconds
      fc.integer({ min: -(DPOP_PROOF_WINDOW_SECONDS + 2) * 1000, max: (DPOP_PROOF_WINDOW_SECONDS + 2) * 1000 }), // replay, ms from iat
      (iat, offsetMs) => {
        const replayAt = new Date(iat * 1000 + offsetMs);
        return !isRecentProof(iat, replayAt) || replayAt.getTime() < proofRecentUntil(iat).getTime();
      },
    ),
    { seed: 20261203, numRuns: 20_000 },
  );
  // the last recent millisecond, explicitly: one second of window past iat + 300 s
  const iat = 1_800_000_000;
  const lastRecent = new Date((iat + DPOP_PROOF_WINDOW_SECONDS + 1) * 1000 - 1);
  t.true(isRecentProof(iat, lastRecent));
  t.true(lastRecent < proofRecentUntil(iat));
  t.false(isRecentProof(iat, proofRecentUntil(iat)));
});
