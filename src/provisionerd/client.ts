// The daemon's side of the API: the three daemon mutations over HTTP with the Provisioner-Key
// header. `fetch` is injectable so tests can drive a daemon against an in-process server.

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** A GraphQL error the server answered with; `code` is its extensions.code. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type AcquiredJob = {
  job: { id: string; type: "TEMPLATE_VERSION_IMPORT" | "WORKSPACE_BUILD"; tags: { key: string; value: string }[] };
  declaredDailyCost: number | null;
};

type UserError = { code: string; message: string };

export type Registration = { name: string; version: string; provisioners: string[]; organization?: string };

const REGISTER = `mutation($input: RegisterProvisionerDaemonInput!) {
  registerProvisionerDaemon(input: $input) { daemon { id } userErrors { code message } } }`;
const REGISTER_ORGANIZATION = `mutation($input: RegisterProvisionerDaemonInput!) {
  registerProvisionerDaemon(input: $input) { daemon { id organization { name } } userErrors { code message } } }`;
const HEARTBEAT = `mutation($input: RegisterProvisionerDaemonInput!) {
  registerProvisionerDaemon(input: $input) { daemon { id currentJob { id status } } userErrors { code message } } }`;
const ACQUIRE = `mutation($input: AcquireProvisionerJobInput!) {
  acquireProvisionerJob(input: $input) { acquired { job { id type tags { key value } } declaredDailyCost } userErrors { code message } } }`;
const COMPLETE = `mutation($input: CompleteProvisionerJobInput!) {
  completeProvisionerJob(input: $input) { job { id status } userErrors { code message } } }`;

export class DaemonClient {
  constructor(
    private readonly url: string,
    private readonly key: string,
    private readonly fetch: Fetch = globalThis.fetch,
  ) {}

  private async call<T>(query: string, input: Record<string, unknown>, field: string): Promise<T> {
    const response = await this.fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json", "provisioner-key": this.key },
      body: JSON.stringify({ query, variables: { input } }),
    });
    if (!response.ok) throw new ApiError(`HTTP_${response.status}`, `the server answered ${response.status}`);
    const body = (await response.json()) as {
      data?: Record<string, (T & { userErrors: UserError[] }) | null> | null;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    const error = body.errors?.[0];
    if (error) throw new ApiError(error.extensions?.code ?? "UNKNOWN", error.message);
    const payload = body.data?.[field];
    if (!payload) throw new ApiError("UNKNOWN", `no ${field} in the answer`);
    const userError = payload.userErrors[0];
    if (userError) throw new ApiError(userError.code, userError.message);
    return payload;
  }

  /** `organization`: the server refuses (INVALID_INPUT) before writing when the key is another's. */
  async register(input: Registration): Promise<string> {
    const payload = await this.call<{ daemon: { id: string } }>(REGISTER, input, "registerProvisionerDaemon");
    return payload.daemon.id;
  }

  /** Registers (as `register`) and answers the organization the key belongs to. */
  async registerInOrganization(input: Registration): Promise<string> {
    const payload = await this.call<{ daemon: { organization: { name: string } } }>(
      REGISTER_ORGANIZATION,
      input,
      "registerProvisionerDaemon",
    );
    return payload.daemon.organization.name;
  }

  /** Re-registers (the daemon is seen) and answers whether `jobId` was canceled meanwhile. */
  async heartbeat(input: { name: string; version: string; provisioners: string[] }, jobId: string): Promise<boolean> {
    const payload = await this.call<{ daemon: { currentJob: { id: string; status: string } | null } }>(
      HEARTBEAT,
      input,
      "registerProvisionerDaemon",
    );
    const current = payload.daemon.currentJob;
    return current?.id === jobId && current.status === "CANCELING";
  }

  async acquire(daemonId: string): Promise<AcquiredJob | null> {
    const payload = await this.call<{ acquired: AcquiredJob | null }>(ACQUIRE, { daemonId }, "acquireProvisionerJob");
    return payload.acquired;
  }

  /** Reports the outcome; answers the job's final status (CANCELED when it was canceled meanwhile). */
  async complete(input: { jobId: string; daemonId: string; error?: string; dailyCost?: number }): Promise<string> {
    const payload = await this.call<{ job: { status: string } }>(COMPLETE, input, "completeProvisionerJob");
    return payload.job.status;
  }
}
