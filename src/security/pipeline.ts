// Defences that run before any resolver: query limits, introspection and suggestion control,
// CSRF prevention, media types, variables and rate limits.
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  getOperationAST,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Actor } from "../auth/actor.js";
import type { Config } from "../config.js";
import { clientIp } from "../http/client-ip.js";
import { MAX_PAGE_SIZE } from "../limits.js";
import { documentChecksPlugin } from "./document-checks.js";
import { httpRefusalsPlugin } from "./http.js";
import { credentialKey, type RateDecision, type RateLimiter } from "./rate-limit.js";
import { trustedDocumentsPlugin } from "./trusted-documents.js";

/** Operations that check a password or an identity token: the brute-force targets. */
const SIGN_IN_FIELDS = new Set(["login", "loginWithOidc", "createFirstUser"]);

function rateLimited(decision: Extract<RateDecision, { allowed: false }>): GraphQLError {
  return new GraphQLError(`Too many requests: try again in ${decision.retryAfterSeconds} s.`, {
    extensions: {
      code: "RATE_LIMITED",
      retryAfterSeconds: decision.retryAfterSeconds,
      http: { status: 429, headers: { "retry-after": String(decision.retryAfterSeconds) } },
    },
  });
}

/** The root fields an operation selects, through fragment spreads and inline fragments. */
function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const names: string[] = [];
  const spread = new Set<string>();
  const collect = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) names.push(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet);
      else if (!spread.has(selection.name.value)) {
        spread.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet);
      }
    }
  };
  collect(operation.selectionSet);
  return names;
}

/** The root fields that do something: `__typename` alongside a sign-in is harmless. */
const workingRootFields = (document: DocumentNode, operation: OperationDefinitionNode) =>
  rootFieldNames(document, operation).filter((name) => name !== "__typename");

function signsIn(document: DocumentNode, operationName?: string | null): boolean {
  const operation = getOperationAST(document, operationName);
  return (
    operation?.operation === "mutation" && workingRootFields(document, operation).some((n) => SIGN_IN_FIELDS.has(n))
  );
}

/**
 * A sign-in is the operation's only root field. Aliases would multiply password guesses per
 * counted sign-in; and a field beside it would run without the new session's credentials, failing
 * after the sign-in committed, so the token would be lost.
 */
const SignInAlone: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (operation.operation !== "mutation") return;
    const fields = workingRootFields(context.getDocument(), operation);
    if (fields.length > 1 && fields.some((name) => SIGN_IN_FIELDS.has(name))) {
      context.reportError(
        new GraphQLError(
          `A sign-in (${[...SIGN_IN_FIELDS].join(", ")}) must be the only field of its operation; send other fields in another request.`,
          { nodes: operation },
        ),
      );
    }
  },
});

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

const CSRF_HEADERS = ["x-graphql-yoga-csrf", "graphql-preflight"];

/**
 * A mutation authenticated by the session cookie must carry a CSRF header, whatever its content
 * type: a browser sends the cookie on its own, a custom header only from the page's own script.
 */
function cookieCsrfPlugin(): Plugin<{ request: Request; actor: Actor }> {
  return {
    onExecute({ args }) {
      const { actor, request } = args.contextValue;
      if (actor.kind !== "user" || !actor.viaCookie) return;
      if (getOperationAST(args.document, args.operationName)?.operation !== "mutation") return;
      if (CSRF_HEADERS.some((name) => request.headers.has(name))) return;
      throw new GraphQLError(`A mutation authenticated by the session cookie needs the ${CSRF_HEADERS[0]} header.`, {
        extensions: { code: "CSRF_HEADER_REQUIRED", http: { status: 403 } },
      });
    },
  };
}

function documentRulesPlugin(introspection: boolean): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(SignInAlone);
      if (!introspection) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

export function securityPlugins(config: Config, limiter: RateLimiter): Plugin<any>[] {
  const { limits } = config;
  return [
    // onParams, before anything parses the document.
    trustedDocumentsPlugin(config.trustedDocuments, config.trustedDocumentsOnly),
    // Its refusal (403) carries no code; httpRefusalsPlugin's last pass gives it BAD_REQUEST.
    useCSRFPrevention({ requestHeaders: CSRF_HEADERS }),
    httpRefusalsPlugin(),
    cookieCsrfPlugin(),
    rateLimitPlugin(limiter, config.trustProxy),
    documentRulesPlugin(config.introspection),
    EnvelopArmorPlugin({
      maxDepth: { n: limits.depth, exposeLimits: true },
      costLimit: { maxCost: limits.cost, exposeLimits: true },
      // No allow-list: aliased __typename is the cheapest flood.
      maxAliases: { n: limits.aliases, exposeLimits: true, allowList: [] },
      maxTokens: { n: limits.tokens, exposeLimits: true },
      maxDirectives: { n: limits.directives, exposeLimits: true },
      blockFieldSuggestion: { enabled: true },
    }) as Plugin,
    // Weighs page sizes given through variables like literal ones (graphql-armor sees only literals).
    documentChecksPlugin({ maxPage: MAX_PAGE_SIZE, maxCost: limits.cost }),
  ];
}
