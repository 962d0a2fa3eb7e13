// SPDX-License-Identifier: GPL-3.0-or-later
//
// Verifies a GlobiChat access token with the `jose` library, as any third party would:
// from the published JWKS alone, checking signature, issuer, audience and expiry.
//
//   node verify-jwt.mjs JWKS_FILE TOKEN_FILE ISSUER AUDIENCE
//
// Prints the verified payload as JSON and exits 0; exits 1 with jose's error code when
// the token is rejected, 2 on bad usage, 3 when jose is not installed.
import { readFileSync } from 'node:fs';

const [jwksFile, tokenFile, issuer, audience] = process.argv.slice(2);
if (!jwksFile || !tokenFile || !issuer || !audience) {
  console.error('usage: node verify-jwt.mjs JWKS_FILE TOKEN_FILE ISSUER AUDIENCE');
  process.exit(2);
}

let jose;
try {
  jose = await import('jose');
} catch (e) {
  console.error('jose is not installed: run `npm install --prefix tests/peers` first');
  process.exit(3);
}

const jwks = JSON.parse(readFileSync(jwksFile, 'utf8'));
const token = readFileSync(tokenFile, 'utf8').trim();

try {
  const { payload, protectedHeader } = await jose.jwtVerify(token, jose.createLocalJWKSet(jwks), {
    issuer,
    audience,
    algorithms: ['EdDSA'],
  });
  console.log(JSON.stringify({ header: protectedHeader, payload }));
} catch (e) {
  console.error(`rejected: ${e.code ?? e.name}: ${e.message}`);
  process.exit(1);
}
