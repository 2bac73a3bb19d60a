-- Every instance remembers verified credentials (src/auth/credential-cache.ts) and must forget one
-- as soon as a row behind it changes. These triggers announce each such change on one channel,
-- delivered at commit to every listening instance; whatever writes (the service, SCIM, a script,
-- psql) is covered. Payload: '<kind>:<id>', the kind and the id's column given as the trigger's arguments.
CREATE FUNCTION "orgs_api_notify_credential_change"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changed jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN changed := to_jsonb(NEW); ELSE changed := to_jsonb(OLD); END IF;
  PERFORM pg_notify('orgs_api_credential_changes', TG_ARGV[0] || ':' || (changed ->> TG_ARGV[1]));
  RETURN NULL;
END;
$$;

CREATE TRIGGER "User_credential_change" AFTER UPDATE OR DELETE ON "User"
  FOR EACH ROW EXECUTE FUNCTION "orgs_api_notify_credential_change"('user', 'id');
CREATE TRIGGER "Session_credential_change" AFTER UPDATE OR DELETE ON "Session"
  FOR EACH ROW EXECUTE FUNCTION "orgs_api_notify_credential_change"('session', 'id');
CREATE TRIGGER "ApiToken_credential_change" AFTER UPDATE OR DELETE ON "ApiToken"
  FOR EACH ROW EXECUTE FUNCTION "orgs_api_notify_credential_change"('token', 'id');
CREATE TRIGGER "ProvisionerKey_credential_change" AFTER UPDATE OR DELETE ON "ProvisionerKey"
  FOR EACH ROW EXECUTE FUNCTION "orgs_api_notify_credential_change"('key', 'id');
CREATE TRIGGER "OrganizationMember_credential_change" AFTER INSERT OR UPDATE OR DELETE ON "OrganizationMember"
  FOR EACH ROW EXECUTE FUNCTION "orgs_api_notify_credential_change"('user', 'userId');
CREATE TRIGGER "CustomRole_credential_change" AFTER INSERT OR UPDATE OR DELETE ON "CustomRole"
  FOR EACH ROW EXECUTE FUNCTION "orgs_api_notify_credential_change"('org', 'organizationId');
