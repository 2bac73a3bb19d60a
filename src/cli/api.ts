// The CLI's GraphQL client: one POST per operation, errors turned into exceptions the command
// runner prints readably (GraphQL error codes, and payload userErrors with their field paths).
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export type Connection<T> = { edges: { node: T }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

/** What a paged query selects on its connection, for Api.all. */
export const PAGE_INFO = "pageInfo { hasNextPage endCursor }";

export type UserError = { code: string; message: string; field?: string[] | null };

/** The server refused the operation (extensions.code), or could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The payload's userErrors: the input was refused and nothing was written. */
export class UserErrors extends Error {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join("; "));
  }
}

/**
 * Rows per page of a list. Page sizes given through variables count in the query cost like literal
 * ones (within the default MAX_QUERY_COST, 20,000): a costly row passes a smaller `maxPage` to
 * `all` (templates weigh about 230 a row, provisioner jobs about 140, workspaces with their latest build and its job
 * about 240, template versions with their job about 340). Lists page through every result anyway.
 */
export const DEFAULT_PAGE_SIZE = 50;

export class Api {
  constructor(
    readonly url: string,
    private readonly token: string | undefined,
    private readonly fetch: Fetch = globalThis.fetch,
    private readonly pageSize = DEFAULT_PAGE_SIZE,
  ) {}

  async request<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await this.fetch(this.url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
      const reason = cause?.code ?? cause?.errors?.[0]?.code ?? (error as Error).message;
      throw new ApiError("UNREACHABLE", `cannot reach ${this.url} (${reason})`);
    }
    let body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new ApiError(`HTTP_${response.status}`, `${this.url} answered ${response.status} without GraphQL`);
    }
    const error = body.errors?.[0];
    if (error) throw new ApiError(error.extensions?.code ?? "ERROR", error.message);
    if (!body.data) throw new ApiError(`HTTP_${response.status}`, `${this.url} answered ${response.status}`);
    return body.data;
  }

  /**
   * Every node of a connection, page after page (`pageSize` each, the API's largest by default):
   * the query takes `$first: Int` and `$after: String`, `connection` finds the connection in the
   * answer (null when its parent is missing, e.g. an organization that is not visible). `maxPage`
   * caps the page size for rows that weigh much in the query cost.
   */
  async all<T>(
    query: string,
    variables: Record<string, unknown>,
    connection: (data: Record<string, any>) => Connection<T> | null | undefined,
    maxPage = DEFAULT_PAGE_SIZE,
  ): Promise<T[] | null> {
    const nodes: T[] = [];
    const first = Math.min(this.pageSize, maxPage);
    let after: string | null = null;
    for (;;) {
      const page = connection(await this.request(query, { ...variables, first, after }));
      if (!page) return null;
      for (const edge of page.edges) nodes.push(edge.node);
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return nodes;
      after = page.pageInfo.endCursor;
    }
  }

  /** A mutation whose payload (data[field]) carries userErrors; returns the payload when there are none. */
  async mutate<T = Record<string, any>>(query: string, input: Record<string, unknown>, field: string): Promise<T> {
    const data = await this.request<Record<string, T & { userErrors: UserError[] }>>(query, { input });
    const payload = data[field];
    if (!payload) throw new ApiError("ERROR", `no ${field} in the answer`);
    if (payload.userErrors.length > 0) throw new UserErrors(payload.userErrors);
    return payload;
  }
}
