// The operations an admin UI needs, written as a UI team would with GraphQL Code Generator's
// client preset: `graphql()` returns a typed document, so a field that does not exist (or a
// variable of the wrong type) fails `npm run examples:check`. ./gql is generated, not committed.
import { graphql } from "./gql/index.js";

/** First start: whether the first user (the site owner) still has to be created. */
export const SetupStatus = graphql(`
  query SetupStatus {
    needsSetup
  }
`);

export const CreateFirstUser = graphql(`
  mutation CreateFirstUser($input: CreateFirstUserInput!) {
    createFirstUser(input: $input) {
      token
      user {
        id
        username
      }
      userErrors {
        code
        message
        field
      }
    }
  }
`);

export const Login = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      token
      user {
        id
        username
      }
      userErrors {
        code
        message
        field
      }
    }
  }
`);

export const Viewer = graphql(`
  query Viewer {
    viewer {
      id
      username
      name
      email
      siteRoles {
        name
        displayName
      }
    }
  }
`);

/** The organization switcher: the organizations the viewer can see, a page at a time. */
export const OrganizationSwitcher = graphql(`
  query OrganizationSwitcher($after: String) {
    organizations(first: 50, after: $after) {
      edges {
        node {
          id
          name
          displayName
          icon
          isDefault
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

/**
 * The members table: one page of 50 with each member's roles and groups, and the viewer's
 * permissions to decide which buttons to show, in one request.
 */
export const MembersTable = graphql(`
  query MembersTable($organization: String!, $after: String) {
    organization(name: $organization) {
      id
      name
      displayName
      members(first: 50, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          cursor
          node {
            createdAt
            user {
              id
              username
              name
              email
              status
            }
            roles {
              name
              displayName
            }
            groups {
              id
              name
              displayName
            }
          }
        }
      }
      viewerPermissions {
        resource
        action
        negate
      }
    }
  }
`);

/** The role editor: the roles an organization offers (show only the assignable ones). */
export const OrganizationRoles = graphql(`
  query OrganizationRoles($organization: String!) {
    organization(name: $organization) {
      id
      roles {
        name
        displayName
        builtIn
        assignable
      }
    }
  }
`);

export const UpdateMemberRoles = graphql(`
  mutation UpdateMemberRoles($input: UpdateOrganizationMemberRolesInput!) {
    updateOrganizationMemberRoles(input: $input) {
      member {
        user {
          id
        }
        roles {
          name
          displayName
        }
      }
      userErrors {
        code
        message
        field
      }
    }
  }
`);

/** Permission-gated buttons: every permission the viewer holds in an organization. */
export const ViewerPermissions = graphql(`
  query ViewerPermissions($organization: String!) {
    organization(name: $organization) {
      id
      viewerPermissions {
        resource
        action
        negate
      }
    }
  }
`);

/** Per-object checks (one template's ACL, one user's workspace), answered together. */
export const CheckPermissions = graphql(`
  query CheckPermissions($checks: [PermissionCheckInput!]!) {
    checkPermissions(checks: $checks) {
      key
      allowed
    }
  }
`);
