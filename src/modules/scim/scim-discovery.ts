// SCIM discovery (RFC 7644 section 4): what this service provider supports, so clients such as
// Entra and Okta can check the attributes before they map them.
import { GROUP_SCHEMA } from "./scim-groups.js";
import { USER_SCHEMA } from "./scim-input.js";

const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const MAX_RESULTS = 1000;

const attribute = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: "string",
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: "readWrite",
  returned: "default",
  uniqueness: "none",
  ...extra,
});

const USER_ATTRIBUTES = [
  attribute("userName", { required: true, uniqueness: "server" }),
  attribute("externalId", { caseExact: true, uniqueness: "server" }),
  attribute("name", {
    type: "complex",
    subAttributes: [attribute("formatted"), attribute("givenName"), attribute("familyName")],
  }),
  attribute("displayName"),
  attribute("emails", {
    type: "complex",
    multiValued: true,
    required: true,
    description: "One email: the primary (or work) one, unique.",
    subAttributes: [attribute("value"), attribute("type"), attribute("primary", { type: "boolean" })],
  }),
  attribute("active", { type: "boolean", required: true }),
];

const GROUP_ATTRIBUTES = [
  attribute("displayName", { required: true, uniqueness: "server" }),
  attribute("members", {
    type: "complex",
    multiValued: true,
    description: "Users of the default organization.",
    subAttributes: [attribute("value", { caseExact: true }), attribute("display", { mutability: "readOnly" })],
  }),
];

const RESOURCES = [
  { id: "User", endpoint: "/Users", schema: USER_SCHEMA, description: "User account", attributes: USER_ATTRIBUTES },
  {
    id: "Group",
    endpoint: "/Groups",
    schema: GROUP_SCHEMA,
    description: "Group of the default organization",
    attributes: GROUP_ATTRIBUTES,
  },
];

type Resource = (typeof RESOURCES)[number];

function schemaOf(resource: Resource, base: string) {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: resource.schema,
    name: resource.id,
    description: resource.description,
    attributes: resource.attributes,
    meta: { resourceType: "Schema", location: `${base}/Schemas/${resource.schema}` },
  };
}

function resourceTypeOf(resource: Resource, base: string) {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: resource.id,
    name: resource.id,
    endpoint: resource.endpoint,
    description: resource.description,
    schema: resource.schema,
    meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/${resource.id}` },
  };
}

function serviceProviderConfig(base: string) {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "Bearer token",
        description: "The SCIM_API_KEY of this deployment in the Authorization header.",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${base}/ServiceProviderConfig` },
  };
}

const list = (resources: unknown[]) => ({
  schemas: [LIST_SCHEMA],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
});

/** The discovery document at `parts`; null for an unknown schema or type; undefined when `parts` is not discovery. */
export function discovery(parts: string[], base: string): unknown {
  const [kind, id, ...rest] = parts;
  if (rest.length > 0) return undefined;
  if (kind === "ServiceProviderConfig") return id === undefined ? serviceProviderConfig(base) : undefined;
  if (kind === "Schemas") {
    if (id === undefined) return list(RESOURCES.map((r) => schemaOf(r, base)));
    const resource = RESOURCES.find((r) => r.schema === id);
    return resource ? schemaOf(resource, base) : null;
  }
  if (kind === "ResourceTypes") {
    if (id === undefined) return list(RESOURCES.map((r) => resourceTypeOf(r, base)));
    const resource = RESOURCES.find((r) => r.id === id);
    return resource ? resourceTypeOf(resource, base) : null;
  }
  return undefined;
}
