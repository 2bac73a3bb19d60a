// A real (tiny) OpenID Connect provider on loopback: discovery document and JWKS over HTTP,
// keys made by jose, ID tokens signed by the test. It can be switched down (connections reset)
// or hanging (never answers), and counts the requests it served.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT, UnsecuredJWT } from "jose";

export const CLIENT_ID = "orgs-api-test";

export type TestKey = { kid: string; alg: string; privateKey: CryptoKey; publicJwk: JWK };

export type TokenOptions = {
  key?: TestKey;
  /** Header overrides (e.g. a kid the provider never published). */
  kid?: string;
  /** Sign with alg none (unsigned). */
  unsigned?: boolean;
  /** Claims to drop from the defaults, e.g. ["exp"]. */
  omit?: string[];
};

export type OidcProvider = Awaited<ReturnType<typeof startOidcProvider>>;

let keyCounter = 0;

export async function newKey(alg: "RS256" | "ES256" = "RS256"): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `key-${++keyCounter}-${alg}`;
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

export async function startOidcProvider() {
  let published: TestKey[] = [await newKey("RS256")];
  let mode: "up" | "down" | "hang" = "up";
  /** What the discovery document claims as issuer, when it should lie. */
  let advertisedIssuer: string | undefined;
  const served = { discovery: 0, jwks: 0 };

  const server = http.createServer((req, res) => {
    if (mode === "down") return req.socket.destroy();
    if (mode === "hang") return;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/.well-known/openid-configuration") {
      served.discovery++;
      return send(200, {
        issuer: advertisedIssuer ?? issuer,
        jwks_uri: `${issuer}/jwks`,
        id_token_signing_alg_values_supported: ["RS256", "ES256"],
      });
    }
    if (req.url === "/jwks") {
      served.jwks++;
      return send(200, { keys: published.map((k) => k.publicJwk) });
    }
    send(404, { error: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** Claims of a valid ID token for `sub`, valid for five minutes from now. */
  const claimsFor = (sub: string, extra: JWTPayload & Record<string, unknown>) => {
    const now = Math.floor(Date.now() / 1000);
    // A fresh jti: two tokens with the same claims in the same second differ (each is accepted once).
    return { iss: issuer, aud: CLIENT_ID, sub, iat: now, exp: now + 300, jti: randomUUID(), ...extra };
  };

  return {
    issuer,
    served,
    get keys() {
      return published;
    },
    /** The env that points an app at this provider. */
    env: (extra: Record<string, string> = {}) => ({ OIDC_ISSUER_URL: issuer, OIDC_CLIENT_ID: CLIENT_ID, ...extra }),
    setMode(next: "up" | "down" | "hang") {
      mode = next;
    },
    advertiseIssuer(value: string | undefined) {
      advertisedIssuer = value;
    },
    /** Publishes exactly these keys from now on. */
    publish(keys: TestKey[]) {
      published = keys;
    },
    async token(sub: string, extra: JWTPayload & Record<string, unknown> = {}, options: TokenOptions = {}) {
      const claims: Record<string, unknown> = claimsFor(sub, extra);
      for (const name of options.omit ?? []) delete claims[name];
      if (options.unsigned) return new UnsecuredJWT(claims).encode();
      const key = options.key ?? (published[0] as TestKey);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: "JWT" })
        .sign(key.privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
