// Verifies ID tokens of the configured OpenID Connect provider. The provider's metadata comes
// from its discovery document, its keys from its JWKS through jose (cached; an unknown key id
// refetches at most every 30 s). Every request to the provider has a timeout, and keys already
// fetched keep verifying while the provider is down.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTPayload,
  jwtVerify,
} from "jose";
import { isSafeProviderUrl, type OidcConfig } from "../config.js";

/** The token is not acceptable: bad signature, wrong issuer or audience, expired, malformed. */
export class OidcTokenError extends Error {}

/** The provider could not be asked: unreachable, slow, or serving something unusable. */
export class OidcProviderError extends Error {}

export type VerifiedIdToken = {
  claims: JWTPayload & Record<string, unknown>;
  /** `${iss}|${sub}`: stable across email changes, unique across providers. */
  subject: string;
};

const MAX_TOKEN_LENGTH = 16 * 1024;
const UNKNOWN_KID_COOLDOWN_MS = 30_000;
const JWKS_MAX_AGE_MS = 10 * 60_000;
/** After a failed discovery, logins answer from the failure for this long instead of asking again. */
const DISCOVERY_RETRY_MS = 5_000;

type KeySet = ReturnType<typeof createRemoteJWKSet>;

export class OidcVerifier {
  private keySet: Promise<KeySet> | undefined;
  private lastFailure: { at: number; error: OidcProviderError } | undefined;

  constructor(private readonly config: OidcConfig) {}

  async verify(idToken: string): Promise<VerifiedIdToken> {
    this.precheck(idToken);
    const keySet = await this.remoteKeySet();
    try {
      const { payload } = await jwtVerify(idToken, (header, token) => this.keyFor(keySet, header, token), {
        issuer: this.config.issuerUrl,
        audience: this.config.clientId,
        algorithms: [...this.config.allowedAlgorithms],
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: ["exp", "iat", "sub"],
      });
      this.checkAuthorizedParty(payload);
      this.checkIssuedAt(payload);
      return {
        claims: payload as VerifiedIdToken["claims"],
        subject: `${payload.iss}|${payload.sub}`,
      };
    } catch (error) {
      if (error instanceof OidcProviderError || error instanceof OidcTokenError) throw error;
      if (isJoseError(error)) throw new OidcTokenError(describe(error), { cause: error });
      throw error;
    }
  }

  /** Rejects what needs no provider round trip: garbage, oversized tokens, algorithms not allowed. */
  private precheck(idToken: string): void {
    if (idToken.length > MAX_TOKEN_LENGTH) throw new OidcTokenError("the ID token is too long");
    try {
      const header = decodeProtectedHeader(idToken);
      decodeJwt(idToken);
      if (!header.alg || !this.config.allowedAlgorithms.includes(header.alg)) {
        throw new OidcTokenError(`algorithm ${header.alg ?? "(none)"} is not allowed`);
      }
    } catch (error) {
      if (error instanceof OidcTokenError) throw error;
      throw new OidcTokenError("the ID token is not a JWT", { cause: error });
    }
  }

  /** With several audiences, OIDC requires `azp` to name this client. */
  private checkAuthorizedParty(payload: JWTPayload): void {
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== this.config.clientId) {
      throw new OidcTokenError("the ID token has several audiences and azp is not this client");
    }
  }

  /** jose checks `iat` only with `maxTokenAge`, which would also cap the age: only the future is refused. */
  private checkIssuedAt(payload: JWTPayload): void {
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat === "number" && payload.iat > now + this.config.clockToleranceSeconds) {
      throw new OidcTokenError("the ID token was issued in the future");
    }
  }

  private remoteKeySet(): Promise<KeySet> {
    // Cached on success only: a provider that was down is asked again, but not on every login
    // (anonymous requests must not turn into a stream of outbound ones).
    const failure = this.lastFailure;
    if (!this.keySet && failure && Date.now() - failure.at < DISCOVERY_RETRY_MS) {
      return Promise.reject(failure.error);
    }
    this.keySet ??= this.discover().catch((error: unknown) => {
      this.keySet = undefined;
      if (error instanceof OidcProviderError) this.lastFailure = { at: Date.now(), error };
      throw error;
    });
    return this.keySet;
  }

  private async discover(): Promise<KeySet> {
    const url = `${this.config.issuerUrl.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const document = await this.fetchJson(url);
    if (document.issuer !== this.config.issuerUrl) {
      throw new OidcProviderError(`the discovery document names issuer "${String(document.issuer)}"`);
    }
    let jwksUri: URL;
    try {
      jwksUri = new URL(String(document.jwks_uri));
    } catch {
      throw new OidcProviderError("the discovery document has no valid jwks_uri");
    }
    if (!isSafeProviderUrl(jwksUri)) throw new OidcProviderError("the jwks_uri must use https");
    return createRemoteJWKSet(jwksUri, {
      timeoutDuration: this.config.httpTimeoutMs,
      cooldownDuration: UNKNOWN_KID_COOLDOWN_MS,
      cacheMaxAge: JWKS_MAX_AGE_MS,
    });
  }

  private async fetchJson(url: string): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: "application/json" },
        redirect: "manual",
        signal: AbortSignal.timeout(this.config.httpTimeoutMs),
      });
    } catch (error) {
      throw new OidcProviderError(`discovery failed: ${(error as Error).message}`, { cause: error });
    }
    if (response.status !== 200) throw new OidcProviderError(`discovery answered HTTP ${response.status}`);
    try {
      const body = (await response.json()) as unknown;
      if (body === null || typeof body !== "object") throw new Error("not an object");
      return body as Record<string, unknown>;
    } catch (error) {
      throw new OidcProviderError("the discovery document is not JSON", { cause: error });
    }
  }

  /**
   * The key for a token. A kid unknown to keys fetched just now is a token problem; a failed fetch
   * is a provider problem, unless keys fetched earlier hold the kid (stale-if-error: the provider
   * is down). A kid never fetched cannot be judged while the provider is down (it may be a
   * rotated key): that stays a provider problem.
   */
  private async keyFor(keySet: KeySet, header: JWSHeaderParameters, token: Parameters<KeySet>[1]) {
    try {
      return await keySet(header, token);
    } catch (error) {
      if (isJoseError(error) && !PROVIDER_ERROR_CODES.has(errorCode(error))) throw error;
      const known = keySet.jwks() as JSONWebKeySet | undefined;
      if (known) {
        try {
          return await createLocalJWKSet(known)(header, token);
        } catch (staleError) {
          if (errorCode(staleError) !== "ERR_JWKS_NO_MATCHING_KEY") throw staleError;
        }
      }
      throw new OidcProviderError(`fetching the provider's keys failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

const PROVIDER_ERROR_CODES = new Set(["ERR_JWKS_TIMEOUT", "ERR_JOSE_GENERIC", "ERR_JWKS_INVALID"]);

const errorCode = (error: unknown): string => String((error as { code?: unknown }).code ?? "");
const isJoseError = (error: unknown): boolean => error instanceof Error && errorCode(error).startsWith("ERR_J");

function describe(error: unknown): string {
  switch (errorCode(error)) {
    case "ERR_JWT_EXPIRED":
      return "the ID token has expired";
    case "ERR_JWKS_NO_MATCHING_KEY":
      return "the ID token is signed with an unknown key";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "the ID token's signature is invalid";
    default:
      return (error as Error).message;
  }
}

// One verifier (and so one key cache) per loaded configuration, i.e. per app instance.
const verifiers = new WeakMap<OidcConfig, OidcVerifier>();

export function oidcVerifier(config: OidcConfig): OidcVerifier {
  let verifier = verifiers.get(config);
  if (!verifier) {
    verifier = new OidcVerifier(config);
    verifiers.set(config, verifier);
  }
  return verifier;
}
