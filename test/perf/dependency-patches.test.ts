// The dependency patches (scripts/build/patch-dependencies.mjs) are in place: `npm ci` applies them
// through this package's postinstall. They change speed only: test/perf/query-counts.test.ts
// proves that nested relations still answer from the planned query (a wrong lookup would fall back
// and add statements), every test that reads an `id` reads the patched globalID, and the resolver
// below covers what the service's own ids never do (an id resolved later, none at all).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import SchemaBuilder from "@pothos/core";
import RelayPlugin from "@pothos/plugin-relay";
import { execute, parse } from "graphql";
import { expect, it } from "vitest";

const script = fileURLToPath(new URL("../../scripts/build/patch-dependencies.mjs", import.meta.url));

it("every dependency patch is applied to the installed packages", () => {
  const check = spawnSync(process.execPath, [script, "--check"], { encoding: "utf8" });
  expect(check.stderr).toBe("");
  expect(check.status).toBe(0);
});

it("the patched globalID encodes ids given at once, given later, or not given", async () => {
  // The service's plugins add required options to every builder's type (global declaration
  // merging); this builder has the relay plugin only.
  const options = { plugins: [RelayPlugin], relay: {} };
  const builder = new SchemaBuilder<{ Context: object }>(options as never);
  const Thing = builder.objectRef<{ id: string }>("Thing").implement({ fields: (t) => ({ key: t.exposeID("id") }) });
  builder.queryType({
    fields: (t) => ({
      now: t.globalID({ resolve: () => ({ type: Thing, id: "1" }) }),
      later: t.globalID({ resolve: async () => ({ type: "Thing", id: "2" }) }),
      none: t.globalID({ nullable: true, resolve: () => null }),
      thing: t.field({ type: Thing, resolve: () => ({ id: "3" }) }),
    }),
  });
  const result = await execute({
    schema: builder.toSchema(),
    document: parse("{ now later none thing { key } }"),
    contextValue: {},
  });
  const encoded = (id: string) => Buffer.from(`Thing:${id}`).toString("base64");
  expect(result).toEqual({ data: { now: encoded("1"), later: encoded("2"), none: null, thing: { key: "3" } } });
});
