// Defences that run before any resolver: query limits, introspection and suggestion control,
// CSRF prevention, media types, variables, rate limits, and the client address they key on.
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { GraphQLError, Kind, NoSchemaIntrospectionCustomRule, type OperationDefinitionNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config.js";
import { MAX_PAGE_SIZE } from "../graphql/builder.js";
import { documentChecksPlugin } from "./document-checks.js";
import { httpRefusalsPlugin } from "./http.js";
import { credentialKey, type RateDecision, type RateLimiter } from "./rate-limit.js";

/** Operations that check a password or an identity token: the brute-force targets. */
const SIGN_IN_FIELDS = new Set(["login", "loginWithOidc", "createFirstUser"]);

type NodeServerContext = { req?: { socket?: { remoteAddress?: string } } };

export function clientIp(request: Request, serverContext: unknown, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  return (serverContext as NodeServerContext)?.req?.socket?.remoteAddress ?? "unknown";
}

function rateLimited(decision: Extract<RateDecision, { allowed: false }>): GraphQLError {
  return new GraphQLError(`Too many requests: try again in ${decision.retryAfterSeconds} s.`, {
    extensions: {
      code: "RATE_LIMITED",
      retryAfterSeconds: decision.retryAfterSeconds,
      http: { status: 429, headers: { "retry-after": String(decision.retryAfterSeconds) } },
    },
  });
}

function signsIn(document: { definitions: readonly { kind: string }[] }, operationName?: string | null): boolean {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  return (
    operation?.operation === "mutation" &&
    operation.selectionSet.selections.some((s) => s.kind === Kind.FIELD && SIGN_IN_FIELDS.has(s.name.value))
  );
}

function rateLimitPlugin(limiter: RateLimiter, trustProxy: boolean): Plugin<{ ip?: string | null }> {
  return {
    async onRequest({ request, serverContext, url, endResponse }) {
      if (url.pathname !== "/graphql") return;
      const decision = await limiter.checkRequest(
        clientIp(request, serverContext, trustProxy),
        credentialKey(request.headers),
      );
      if (decision.allowed) return;
      const error = rateLimited(decision);
      endResponse(
        new Response(JSON.stringify({ errors: [{ message: error.message, extensions: { code: "RATE_LIMITED" } }] }), {
          status: 429,
          headers: { "content-type": "application/json", "retry-after": String(decision.retryAfterSeconds) },
        }),
      );
    },
    async onExecute({ args }) {
      if (!signsIn(args.document, args.operationName)) return;
      const decision = await limiter.checkSignIn(args.contextValue.ip ?? "unknown");
      if (!decision.allowed) throw rateLimited(decision);
    },
  };
}

function introspectionPlugin(allowed: boolean): Plugin {
  return {
    onValidate({ addValidationRule }) {
      if (!allowed) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

export function securityPlugins(config: Config, limiter: RateLimiter): Plugin<any>[] {
  const { limits } = config;
  return [
    // Its refusal (403) carries no code; httpRefusalsPlugin's last pass gives it BAD_REQUEST.
    useCSRFPrevention({ requestHeaders: ["x-graphql-yoga-csrf", "graphql-preflight"] }),
    httpRefusalsPlugin(),
    rateLimitPlugin(limiter, config.trustProxy),
    introspectionPlugin(config.introspection),
    EnvelopArmorPlugin({
      maxDepth: { n: limits.depth, exposeLimits: true },
      costLimit: { maxCost: limits.cost, exposeLimits: true },
      // No allow-list: aliased __typename is the cheapest flood.
      maxAliases: { n: limits.aliases, exposeLimits: true, allowList: [] },
      maxTokens: { n: limits.tokens, exposeLimits: true },
      maxDirectives: { n: limits.directives, exposeLimits: true },
      blockFieldSuggestion: { enabled: true },
    }) as Plugin,
    documentChecksPlugin({ maxPage: MAX_PAGE_SIZE }),
  ];
}
