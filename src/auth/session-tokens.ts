// Session tokens: JWTs signed with an ES256 key that the service generates once and keeps in
// the database, named by a key id so keys can rotate (the newest signs, all unretired verify).

import { randomUUID } from "node:crypto";
import {
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey as JoseKey,
  type JWK,
  jwtVerify,
  SignJWT,
} from "jose";
import type { PrismaClient } from "../generated/prisma/client.js";

const ALGORITHM = "ES256";
export const SESSION_ISSUER = "orgs-api";
export const SESSION_AUDIENCE = "orgs-api";

type LoadedKey = { id: string; publicKey: JoseKey; privateKey: JoseKey };
type Claims = { userId: string; sessionId: string };
type VerifiedClaims = Claims & { expiresAtMs: number };

/** Verified tokens kept (the oldest is dropped first): about 1 KB each. */
const MAX_VERIFIED = 10_000;

export class SessionTokenError extends Error {}

export class SessionTokens {
  private signingKey: Promise<LoadedKey> | undefined;
  private readonly verifyKeys = new Map<string, Promise<JoseKey | null>>();
  /**
   * Tokens whose signature was verified, until they expire: checking an ES256 signature is the
   * costliest step of a request's authentication. A token is immutable, so its verdict only
   * changes with time. The session itself (logout, expiry, the user's status) is read from the
   * database, or from the credential cache, which forgets it when its row changes.
   */
  private readonly verified = new Map<string, VerifiedClaims>();

  constructor(private readonly prisma: PrismaClient) {}

  async sign(claims: { userId: string; sessionId: string; expiresAt: Date }): Promise<string> {
    const key = await this.currentKey();
    return new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM, kid: key.id, typ: "JWT" })
      .setSubject(claims.userId)
      .setJti(claims.sessionId)
      .setIssuer(SESSION_ISSUER)
      .setAudience(SESSION_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
      .sign(key.privateKey);
  }

  /** Verifies signature, algorithm, issuer, audience and expiry; returns the subject, session id and expiry. */
  async verify(token: string): Promise<VerifiedClaims> {
    const known = this.verified.get(token);
    if (known && known.expiresAtMs > Date.now()) return known;
    if (known) this.verified.delete(token);
    const { claims, expiresAtMs } = await this.verifySignature(token);
    if (this.verified.size >= MAX_VERIFIED) this.verified.delete(this.verified.keys().next().value as string);
    const verified = { ...claims, expiresAtMs };
    this.verified.set(token, verified);
    return verified;
  }

  /** A short-lived signed value of another kind (the OIDC flow cookie), told apart by its audience. */
  async signValue(payload: Record<string, unknown>, audience: string, expiresAt: Date): Promise<string> {
    const key = await this.currentKey();
    return new SignJWT(payload)
      .setProtectedHeader({ alg: ALGORITHM, kid: key.id, typ: "JWT" })
      .setIssuer(SESSION_ISSUER)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(key.privateKey);
  }

  /** The payload of a value signed by signValue for this audience; SessionTokenError otherwise. */
  async verifyValue(token: string, audience: string): Promise<Record<string, unknown>> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new SessionTokenError("malformed value");
    }
    const key = kid ? await this.verifyKey(kid) : null;
    if (!key) throw new SessionTokenError("value signed by an unknown key");
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: [ALGORITHM], issuer: SESSION_ISSUER, audience });
      return payload as Record<string, unknown>;
    } catch {
      throw new SessionTokenError("invalid or expired value");
    }
  }

  private async verifySignature(token: string): Promise<{ claims: Claims; expiresAtMs: number }> {
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== ALGORITHM) throw new SessionTokenError("unsupported token algorithm");
      kid = header.kid;
    } catch (error) {
      if (error instanceof SessionTokenError) throw error;
      throw new SessionTokenError("malformed token");
    }
    const key = kid ? await this.verifyKey(kid) : null;
    if (!key) throw new SessionTokenError("token signed by an unknown key");
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: SESSION_ISSUER,
        audience: SESSION_AUDIENCE,
        requiredClaims: ["exp", "sub", "jti"],
        clockTolerance: 5,
      });
      return {
        claims: { userId: payload.sub as string, sessionId: payload.jti as string },
        // Without the clock tolerance: a remembered token stops being accepted at its expiry.
        expiresAtMs: (payload.exp as number) * 1000,
      };
    } catch {
      throw new SessionTokenError("invalid or expired token");
    }
  }

  private verifyKey(kid: string): Promise<JoseKey | null> {
    let pending = this.verifyKeys.get(kid);
    if (!pending) {
      pending = this.prisma.signingKey
        .findFirst({ where: { id: kid, retiredAt: null }, select: { publicJwk: true } })
        .then((row) => (row ? (importJWK(row.publicJwk as JWK, ALGORITHM) as Promise<JoseKey>) : null));
      // Unknown ids are not cached, so a key made by another instance is found later; known ones are.
      pending.then((found) => found || this.verifyKeys.delete(kid)).catch(() => this.verifyKeys.delete(kid));
      this.verifyKeys.set(kid, pending);
    }
    return pending;
  }

  private currentKey(): Promise<LoadedKey> {
    this.signingKey ??= this.loadOrCreateKey().catch((error) => {
      this.signingKey = undefined;
      throw error;
    });
    return this.signingKey;
  }

  private async loadOrCreateKey(): Promise<LoadedKey> {
    const existing = await this.prisma.signingKey.findFirst({
      where: { retiredAt: null, algorithm: ALGORITHM },
      orderBy: { createdAt: "desc" },
    });
    if (existing) {
      return {
        id: existing.id,
        publicKey: (await importJWK(existing.publicJwk as JWK, ALGORITHM)) as JoseKey,
        privateKey: (await importJWK(existing.privateJwk as JWK, ALGORITHM)) as JoseKey,
      };
    }
    const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
    const id = randomUUID();
    await this.prisma.signingKey.create({
      data: {
        id,
        algorithm: ALGORITHM,
        publicJwk: (await exportJWK(publicKey)) as object,
        privateJwk: (await exportJWK(privateKey)) as object,
      },
    });
    return { id, publicKey, privateKey };
  }
}
