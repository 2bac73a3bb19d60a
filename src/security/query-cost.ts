// The query cost, as graphql-armor's cost limit weighs it (objects 2, scalars 1, each level ×1.5,
// a field's subtree × its `first`/`last`), with page sizes given through variables counted like
// literal ones. graphql-armor runs during validation, which Yoga caches per document, so it sees
// only literal sizes; this runs per request with the variables, so `first: 50` and
// `first: $n` (n = 50) cost the same.
import { type FragmentDefinitionNode, Kind, type OperationDefinitionNode, type SelectionNode } from "graphql";

export const COST = { object: 2, scalar: 1, depthFactor: 1.5 } as const;

const PAGE_ARGUMENTS = new Set(["first", "last"]);

export type QueryCost = { cost: number; fromVariables: boolean };

export function queryCost(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): QueryCost {
  let fromVariables = false;
  // Like graphql-armor: a fragment is weighed at its first spread, later spreads reuse that weight.
  const fragmentCosts = new Map<string, number>();

  const pageOf = (selection: SelectionNode): number => {
    if (selection.kind !== Kind.FIELD) return 1;
    for (const argument of selection.arguments ?? []) {
      if (!PAGE_ARGUMENTS.has(argument.name.value)) continue;
      let value: unknown;
      if (argument.value.kind === Kind.INT) value = Number.parseInt(argument.value.value, 10);
      else if (argument.value.kind === Kind.VARIABLE) {
        value = variables[argument.value.name.value];
        fromVariables ||= typeof value === "number";
      }
      return typeof value === "number" && value > 1 ? value : 1;
    }
    return 1;
  };

  const weigh = (node: SelectionNode | FragmentDefinitionNode): number => {
    if (node.kind === Kind.FIELD && node.name.value === "__schema") return 0;
    if (node.kind === Kind.FRAGMENT_SPREAD) {
      const name = node.name.value;
      const known = fragmentCosts.get(name);
      if (known !== undefined) return COST.scalar + COST.depthFactor * Math.max(known, 0);
      fragmentCosts.set(name, -1); // a cycle (refused by validation already) adds nothing
      const fragment = fragments.get(name);
      if (!fragment) return COST.scalar;
      const cost = weigh(fragment);
      fragmentCosts.set(name, cost);
      return COST.scalar + COST.depthFactor * cost;
    }
    if (!node.selectionSet) return COST.scalar;
    let cost = COST.object;
    for (const child of node.selectionSet.selections) cost += COST.depthFactor * weigh(child);
    return node.kind === Kind.FRAGMENT_DEFINITION ? cost : cost * pageOf(node);
  };

  let cost = 0;
  for (const selection of operation.selectionSet.selections) cost += weigh(selection);
  return { cost, fromVariables };
}
