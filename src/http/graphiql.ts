// GraphiQL served whole from the installed @graphql-yoga/render-graphiql (scripts, styles, editor
// workers and icon inline): no CDN, so it works in an air-gapped deployment. It opens with tabs
// for the first-user setup, login and a viewer query, and sends Yoga's CSRF header itself so
// subscriptions (server-sent events) run in it too.
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import type { GraphiQLOptions } from "graphql-yoga";

export const CSRF_HEADER = "x-graphql-yoga-csrf";

const SETUP_TAB = `# First start: create the site owner. Works only while needsSetup is true;
# copy the token from the answer into the Authorization header of the other tabs.
query SetupStatus {
  needsSetup
}

mutation CreateFirstUser {
  createFirstUser(
    input: { email: "admin@example.com", username: "admin", password: "choose-a-long-password" }
  ) {
    token
    user { id username }
    userErrors { code message field }
  }
}
`;

const LOGIN_TAB = `# Sign in with email and password; the token goes in the Authorization header:
#   { "Authorization": "Bearer <token>" }
mutation Login {
  login(input: { email: "admin@example.com", password: "choose-a-long-password" }) {
    token
    user { id username }
    userErrors { code message field }
  }
}
`;

const VIEWER_TAB = `# Who the token belongs to, and their organizations with what they may do there.
query Viewer {
  viewer {
    id
    username
    email
    siteRoles { name }
    organizations {
      id
      name
      displayName
      viewerPermissions { resource action }
    }
  }
}
`;

const json = (value: unknown) => JSON.stringify(value, null, 2);

export const GRAPHIQL_OPTIONS: GraphiQLOptions = {
  title: "orgs-api GraphiQL",
  additionalHeaders: { [CSRF_HEADER]: "graphiql" },
  defaultTabs: [
    // Inputs inline, not as variables: GraphiQL 5 shows the first tab's variables only after a tab
    // switch, and would send none.
    { query: SETUP_TAB },
    { query: LOGIN_TAB },
    { query: VIEWER_TAB, headers: json({ Authorization: "Bearer <token from CreateFirstUser or Login>" }) },
  ],
};

let rendered: { options: string; page: string } | undefined;

/** The page is about 9 MB of inline scripts: rendered once per options. */
export function renderOfflineGraphiQL(options: GraphiQLOptions): string {
  const key = JSON.stringify(options);
  if (rendered?.options !== key) rendered = { options: key, page: renderGraphiQL(options) };
  return rendered.page;
}
