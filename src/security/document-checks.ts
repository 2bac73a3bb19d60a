// Checks on the parsed document that finish before the context is built (building it looks up the
// credential, which is SQL), so a refused document never reaches the database: query-limit
// rejections answer like other validation errors, suggestions stay hidden, a subscription must be
// asked for as an event stream, and the variables must fit the operation, page sizes included,
// with no NUL in any text and no cursor this API did not issue.
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { badUserInput } from "../graphql/errors.js";
import { argumentProblem } from "./argument-checks.js";
import { acceptsMediaType } from "./http.js";
import { queryCost } from "./query-cost.js";

/** graphql-js phrasings: `Did you mean "x"?`, `Did you mean the enum value "X"?`, several names. */
const SUGGESTION = /Did you mean [^?]*\?/g;
const SUGGESTION_MASK = "[Suggestion hidden]";

type RequestParams = { operationName?: string | null; variables?: Record<string, unknown> | null };

function validationFailed(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: "GRAPHQL_VALIDATION_FAILED", http: { spec: true, status: 400 } },
  });
}

function badVariables(errors: readonly GraphQLError[]): AggregateError {
  return new AggregateError(errors.map((error) => badUserInput(error.message, { nodes: error.nodes, status: 400 })));
}

/**
 * The largest product of page sizes (`first`/`last`) along any path of the operation, each
 * clamped to the maximum page, and whether any size comes from a variable. graphql-armor's cost
 * counts only literal sizes, so `first: $n` would multiply nested pages unseen. Memoized per
 * fragment: fragments spreading fragments cost linear work.
 */
function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

export function pageProduct(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  maxPage: number,
): { product: number; fromVariables: boolean; negative: boolean } {
  const fragments = fragmentsOf(document);
  const memo = new Map<string, number>();
  let fromVariables = false;
  let negative = false;
  const pageSize = (value: unknown): number => (typeof value === "number" && value > 1 ? Math.min(value, maxPage) : 1);

  const walk = (selectionSet: SelectionSetNode, typeName: string | undefined): number => {
    let largest = 1;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        if (!memo.has(name)) {
          memo.set(name, 1); // a cycle (refused by validation already) counts once
          const fragment = fragments.get(name);
          if (fragment) memo.set(name, walk(fragment.selectionSet, fragment.typeCondition.name.value));
        }
        largest = Math.max(largest, memo.get(name) ?? 1);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        largest = Math.max(largest, walk(selection.selectionSet, selection.typeCondition?.name.value ?? typeName));
      } else if (selection.selectionSet) {
        const parent = typeName ? schema.getType(typeName) : undefined;
        const field =
          parent && (isObjectType(parent) || isInterfaceType(parent))
            ? parent.getFields()[selection.name.value]
            : undefined;
        let size = 1;
        for (const argument of selection.arguments ?? []) {
          if (argument.name.value !== "first" && argument.name.value !== "last") continue;
          if (argument.value.kind === Kind.VARIABLE) fromVariables = true;
          const value =
            argument.value.kind === Kind.VARIABLE
              ? variables[argument.value.name.value]
              : argument.value.kind === Kind.INT
                ? Number(argument.value.value)
                : undefined;
          if (typeof value === "number" && value < 0) negative = true;
          size = Math.max(size, pageSize(value));
        }
        largest = Math.max(largest, size * walk(selection.selectionSet, field && getNamedType(field.type).name));
      }
    }
    return largest;
  };
  const product = walk(operation.selectionSet, schema.getRootType(operation.operation)?.name);
  return { product, fromVariables, negative };
}

export function documentChecksPlugin(options: { maxPage: number; maxCost: number }): Plugin {
  // Operations without variables that passed: their checks depend on the document alone, and Yoga
  // hands the same parsed document to every request that sends the same text.
  const passed = new WeakMap<OperationDefinitionNode, true>();
  return {
    onValidate({ params: { schema, documentAST }, context, validateFn, setValidationFn }) {
      // graphql-armor's rules throw their refusal out of validate(); answer it as a validation error.
      setValidationFn((...args) => {
        try {
          return validateFn(...args);
        } catch (error) {
          if (!(error instanceof GraphQLError)) throw error;
          return [validationFailed(error.message.replace(/^Syntax Error: /, ""))];
        }
      });
      return ({ valid, result }) => {
        if (!valid) {
          for (const error of result) error.message = error.message.replace(SUGGESTION, SUGGESTION_MASK);
          return;
        }
        // Thrown, not set as the result: Yoga caches validation results per document, and these
        // depend on the request.
        const { request, params } = context as { request?: Request; params?: RequestParams };
        const operation = getOperationAST(documentAST, params?.operationName);
        if (!operation) return; // Yoga answers OPERATION_RESOLUTION_FAILURE
        if (operation.operation === "subscription" && request && !acceptsMediaType(request, "text/event-stream")) {
          throw new GraphQLError("Subscriptions are served as text/event-stream; the request does not accept it.", {
            extensions: { code: "NOT_ACCEPTABLE", http: { status: 406 } },
          });
        }
        const constant = (operation.variableDefinitions ?? []).length === 0;
        if (constant && passed.has(operation)) return;
        const variables = params?.variables ?? {};
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, {
          hideSuggestions: true,
          maxErrors: 50,
        });
        if (coerced.errors) throw badVariables(coerced.errors);
        const argumentError = argumentProblem(schema, documentAST, operation, coerced.coerced);
        if (argumentError) throw argumentError;
        const pages = pageProduct(schema, documentAST, operation, coerced.coerced, options.maxPage);
        if (pages.negative) {
          throw badUserInput("Arguments first and last must be non-negative integers.", { status: 400 });
        }
        // Documents with literal sizes only are left to graphql-armor, which weighs them already.
        const { cost, fromVariables: costFromVariables } = queryCost(
          operation,
          fragmentsOf(documentAST),
          coerced.coerced,
        );
        if (costFromVariables && cost > options.maxCost) {
          throw validationFailed(`Query Cost limit of ${options.maxCost} exceeded, found ${cost}.`);
        }
        const { product, fromVariables } = pages;
        if (fromVariables && product > options.maxPage) {
          throw validationFailed(`Page size product limit of ${options.maxPage} exceeded, found ${product}.`);
        }
        if (constant) passed.set(operation, true);
      };
    },
  };
}
