// Who may sign in through OIDC and what they get: replayed ID tokens, OIDC_ALLOW_SIGNUPS,
// OIDC_EMAIL_DOMAINS, OIDC_ALLOWED_GROUPS (and a groups overage), site roles from
// OIDC_USER_ROLE_FIELD, User.lastOidcClaims and the public authMethods query.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../support/harness.js";
import type { OidcProvider } from "../../support/oidc-provider.js";
import { loginWithOidc, startOidcWorld, stopOidcWorld } from "../../support/oidc-suite.js";
import { type OwnerScope, seed } from "../../support/seed.js";

const LOGIN = `mutation($input: LoginWithOidcInput!) {
  loginWithOidc(input: $input) { token expiresAt user { id username siteRoles { name } lastOidcClaims } userErrors { code message } }
}`;

let provider: OidcProvider;
let app: TestApp;
let owner: OwnerScope;

beforeAll(async () => {
  ({ provider, app, owner } = await startOidcWorld({
    OIDC_EMAIL_DOMAINS: "corp.example,@sub.corp.example",
    OIDC_ALLOWED_GROUPS: "staff,contractors",
    OIDC_USER_ROLE_FIELD: "roles",
    OIDC_USER_ROLE_MAPPING: JSON.stringify({ "it-admins": ["user-admin"], root: "owner" }),
    OIDC_SIGN_IN_TEXT: "Sign in with Corp SSO",
    OIDC_ICON_URL: "https://corp.example/icon.svg",
  }));
});
afterAll(() => stopOidcWorld({ app, provider }));

const loginWith = (target: TestApp, idToken: string) => loginWithOidc(target, LOGIN, idToken);

const codes = (payload: { userErrors: { code: string }[] }) => payload.userErrors.map((e) => e.code);

describe("replayed ID tokens", () => {
  it("accepts an ID token once until it expires (the record is in the shared database)", async () => {
    const token = await provider.token("sub-replay", { email: "replay@corp.example", groups: ["staff"] });
    const first = await loginWith(app, token);
    expect(first.userErrors).toEqual([]);
    expect(new Date(first.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const again = await loginWith(app, token);
    expect(codes(again)).toEqual(["INVALID_CREDENTIALS"]);
    expect(again.userErrors[0].message).toMatch(/already been used/);
    // The record is in the database: a second instance on it refuses the token too.
    const stored = await app.prisma.oidcTokenUse.findMany();
    expect(stored.length).toBeGreaterThanOrEqual(1);
    expect(stored.every((row) => row.tokenHash.length === 64 && !row.tokenHash.includes("."))).toBe(true);
  });
});

describe("admission rules", () => {
  it("refuses emails outside the allowed domains", async () => {
    const outside = await loginWith(
      app,
      await provider.token("sub-out", { email: "eve@other.example", groups: ["staff"] }),
    );
    expect(codes(outside)).toEqual(["SIGN_IN_NOT_ALLOWED"]);
    const suffix = await loginWith(
      app,
      await provider.token("sub-suf", { email: "eve@evilcorp.example", groups: ["staff"] }),
    );
    expect(codes(suffix)).toEqual(["SIGN_IN_NOT_ALLOWED"]);
    const sub = await loginWith(
      app,
      await provider.token("sub-sub", { email: "sam@sub.corp.example", groups: ["staff"] }),
    );
    expect(sub.userErrors).toEqual([]);
    expect(await app.prisma.user.count({ where: { email: { endsWith: "other.example" } } })).toBe(0);
  });

  it("requires one of the allowed groups, and refuses when the groups are not delivered", async () => {
    const none = await loginWith(app, await provider.token("sub-g1", { email: "g1@corp.example", groups: ["guests"] }));
    expect(codes(none)).toEqual(["SIGN_IN_NOT_ALLOWED"]);
    const absent = await loginWith(app, await provider.token("sub-g2", { email: "g2@corp.example" }));
    expect(codes(absent)).toEqual(["SIGN_IN_NOT_ALLOWED"]);
    const overage = await loginWith(
      app,
      await provider.token("sub-g3", {
        email: "g3@corp.example",
        _claim_names: { groups: "src1" },
        _claim_sources: { src1: { endpoint: "https://graph.windows.net/x" } },
      }),
    );
    expect(codes(overage)).toEqual(["SIGN_IN_NOT_ALLOWED"]);
    expect(overage.userErrors[0].message).toMatch(/did not deliver the group claim/);
    const ok = await loginWith(
      app,
      await provider.token("sub-g4", { email: "g4@corp.example", groups: "contractors" }),
    );
    expect(ok.userErrors).toEqual([]);
  });

  it("maps the role claim to site roles; owner only through an explicit mapping", async () => {
    const admin = await loginWith(
      app,
      await provider.token("sub-r1", {
        email: "r1@corp.example",
        groups: ["staff"],
        roles: ["it-admins", "owner", "auditor", "nonsense"],
      }),
    );
    expect(admin.userErrors).toEqual([]);
    expect(admin.user.siteRoles.map((r: { name: string }) => r.name).sort()).toEqual([
      "auditor",
      "member",
      "user-admin",
    ]);
    const root = await loginWith(
      app,
      await provider.token("sub-r2", { email: "r2@corp.example", groups: ["staff"], roles: "root" }),
    );
    expect(root.user.siteRoles.map((r: { name: string }) => r.name).sort()).toEqual(["member", "owner"]);
    // The next login without the claim takes the roles away.
    const later = await loginWith(app, await provider.token("sub-r1", { email: "r1@corp.example", groups: ["staff"] }));
    expect(later.user.siteRoles.map((r: { name: string }) => r.name)).toEqual(["member"]);
    const audit = await app.prisma.auditLog.findMany({
      where: { resourceName: admin.user.username, action: "ASSIGN_ROLES" },
    });
    expect(audit.length).toBeGreaterThanOrEqual(2);
  });

  it("refuses new accounts with OIDC_ALLOW_SIGNUPS=false but links existing ones by email", async () => {
    const closed = await createTestApp(provider.env({ OIDC_ALLOW_SIGNUPS: "false", OIDC_USER_ROLE_FIELD: "roles" }));
    try {
      const admin = await seed(closed).owner();
      await admin.user("known");
      const stranger = await loginWith(closed, await provider.token("sub-new", { email: "new@example.com" }));
      expect(codes(stranger)).toEqual(["SIGN_IN_NOT_ALLOWED"]);
      expect(await closed.prisma.user.count({ where: { email: "new@example.com" } })).toBe(0);
      const known = await loginWith(closed, await provider.token("sub-known", { email: "known@example.com" }));
      expect(known.userErrors).toEqual([]);
      expect(known.user.username).toBe("known");
      // No mapping gives owner here: role sync never takes it from an owner linked to the provider.
      await closed.prisma.user.update({
        where: { email: admin.email },
        data: { oidcSubject: `${provider.issuer}|sub-admin` },
      });
      const owner = await loginWith(
        closed,
        await provider.token("sub-admin", { email: admin.email, roles: ["auditor"] }),
      );
      expect(owner.user.siteRoles.map((r: { name: string }) => r.name).sort()).toEqual(["auditor", "member", "owner"]);
    } finally {
      await closed.close();
    }
  }, 60_000);
});

describe("lastOidcClaims", () => {
  it("shows the last login's claims, redacted, to the user and to user admins only", async () => {
    const signedIn = await loginWith(
      app,
      await provider.token("sub-claims", {
        email: "claims@corp.example",
        groups: ["staff"],
        roles: [],
        preferred_username: "claims",
        address: { street: "1 Secret Road" },
      }),
    );
    const own = JSON.parse(signedIn.user.lastOidcClaims);
    expect(own).toMatchObject({
      sub: "sub-claims",
      email: "claims@corp.example",
      groups: ["staff"],
      preferred_username: "claims",
    });
    expect(own.address).toBeUndefined();
    expect(own.jti).toBeUndefined();
    const query = `query($id: ID!) { node(id: $id) { ... on User { lastOidcClaims } } }`;
    const asOwner = await app.gql(query, { id: signedIn.user.id }, { token: owner.token });
    expect(JSON.parse(asOwner.data?.node.lastOidcClaims)).toEqual(own);
    const userAdmin = await owner.user("useradmin", { siteRoles: ["user-admin"] });
    const asUserAdmin = await app.gql(query, { id: signedIn.user.id }, { token: userAdmin.token });
    expect(JSON.parse(asUserAdmin.data?.node.lastOidcClaims)).toEqual(own);
    const member = await owner.user("plainmember");
    const asMember = await app.gql(query, { id: signedIn.user.id }, { token: member.token });
    expect(asMember.data?.node?.lastOidcClaims ?? null).toBeNull();
    const ownerSelf = await app.gql("{ viewer { lastOidcClaims } }", {}, { token: owner.token });
    expect(ownerSelf.data?.viewer.lastOidcClaims).toBeNull();
  });
});

describe("authMethods", () => {
  const QUERY = "{ authMethods { password { enabled } oidc { enabled signInText iconUrl loginUrl } } }";

  it("tells a sign-in page what is offered, without authentication", async () => {
    const result = await app.gql(QUERY);
    expect(result.data?.authMethods).toEqual({
      password: { enabled: true },
      // SESSION_COOKIE is off here: no server-side flow to start.
      oidc: {
        enabled: true,
        signInText: "Sign in with Corp SSO",
        iconUrl: "https://corp.example/icon.svg",
        loginUrl: null,
      },
    });
    const plain = await createTestApp({ SESSION_COOKIE: "true" });
    try {
      const off = await plain.gql(QUERY);
      expect(off.data?.authMethods.oidc).toEqual({ enabled: false, signInText: null, iconUrl: null, loginUrl: null });
    } finally {
      await plain.close();
    }
  }, 60_000);
});
