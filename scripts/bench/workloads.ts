// The benchmark's workloads: a GraphQL request each, who sends it, and a check of every response
// body (GraphQL answers errors with HTTP 200, so status codes prove nothing).

export type Actors = { member: string; admin: string; owner: string; creator: string };

export type Workload = {
  name: string;
  description: string;
  actor: keyof Actors | null;
  query: string;
  /** Variables; `unique` is replaced per request (W3 creates a workspace with a new name each time). */
  variables: Record<string, unknown>;
  /** Why a body is wrong, or null when it is right. */
  check: (body: any) => string | null;
};

export type Expectations = {
  w1Workspaces: number;
  w1Organizations: number;
  bigOrganization: string;
  bigMembers: number;
  templateId: string;
  foreignWorkspaceId: string;
};

const W1 = `query W1 { workspaces(first: 100) { totalCount
  edges { node { id name template { id name displayName } owner { id username } organization { id name } } } } }`;

const W2 = `query W2($name: String!, $first: Int!) { organization(name: $name) { members(first: $first) {
  pageInfo { hasNextPage endCursor } edges { node { user { id username } roles { name } groups { id name } } } } } }`;

const CREATE = `mutation W3($input: CreateWorkspaceInput!) { createWorkspace(input: $input) {
  workspace { id name latestBuild { buildNumber } } userErrors { code message } } }`;

const noErrors = (body: any) => (body.errors ? `errors: ${JSON.stringify(body.errors).slice(0, 200)}` : null);

function membersCheck(e: Expectations, first: number) {
  return (body: any) => {
    const problem = noErrors(body);
    if (problem) return problem;
    const edges = body.data?.organization?.members?.edges;
    const expected = Math.min(first, e.bigMembers);
    if (!Array.isArray(edges) || edges.length !== expected) return `expected ${expected} members, got ${edges?.length}`;
    for (const { node } of edges) {
      if (!node.user?.username) return "a member without a user";
      if (!node.groups.some((g: any) => g.name === "Everyone")) return `${node.user.username} is not in Everyone`;
    }
    return null;
  };
}

export function workloads(e: Expectations): Workload[] {
  return [
    {
      name: "W0",
      description: "{ __typename }, signed in",
      actor: "member",
      query: "{ __typename }",
      variables: {},
      check: (body) => noErrors(body) ?? (body.data?.__typename === "Query" ? null : "no __typename"),
    },
    {
      name: "W1",
      description: `member: own workspaces (${e.w1Workspaces} in ${e.w1Organizations} orgs) + template, owner, org`,
      actor: "member",
      query: W1,
      variables: {},
      check: (body) => {
        const problem = noErrors(body);
        if (problem) return problem;
        const list = body.data?.workspaces;
        if (list?.totalCount !== e.w1Workspaces || list.edges.length !== e.w1Workspaces) return "wrong workspace count";
        const orgs = new Set(list.edges.map((x: any) => x.node.organization.name));
        if (orgs.size !== e.w1Organizations) return `workspaces in ${orgs.size} organizations`;
        return list.edges.every((x: any) => x.node.owner.username === "bench-member" && x.node.template.name)
          ? null
          : "wrong owner or template";
      },
    },
    {
      name: "W2/100",
      description: "org admin: members (page of 100) with roles and groups",
      actor: "admin",
      query: W2,
      variables: { name: e.bigOrganization, first: 100 },
      check: membersCheck(e, 100),
    },
    {
      name: "W2/1000",
      description: `org admin: all ${e.bigMembers} members with roles and groups`,
      actor: "admin",
      query: W2,
      variables: { name: e.bigOrganization, first: 1000 },
      check: membersCheck(e, 1000),
    },
    {
      name: "W3",
      description: "member of another organization: create a workspace (quota check, build queued)",
      actor: "creator",
      query: CREATE,
      variables: { input: { templateId: e.templateId, name: "unique" } },
      check: (body) => {
        const problem = noErrors(body);
        if (problem) return problem;
        const payload = body.data?.createWorkspace;
        if (payload?.userErrors?.length) return `userErrors: ${JSON.stringify(payload.userErrors)}`;
        return payload?.workspace?.latestBuild?.buildNumber === 1 ? null : "no workspace";
      },
    },
    {
      name: "W4",
      description: "no credential: W1's query",
      actor: null,
      query: W1,
      variables: {},
      check: (body) => (body.errors?.[0]?.extensions?.code === "UNAUTHENTICATED" ? null : "not UNAUTHENTICATED"),
    },
    {
      name: "W5",
      description: "member: another tenant's workspace by node(id:)",
      actor: "member",
      query: "query W5($id: ID!) { node(id: $id) { id } }",
      variables: { id: e.foreignWorkspaceId },
      check: (body) => noErrors(body) ?? (body.data?.node === null ? null : "another tenant's workspace was returned"),
    },
  ];
}
