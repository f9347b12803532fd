-- A SCIM create as one statement: `INSERT INTO scim_user_creations` writes the person,
-- the membership (only while the organization has a seat free for an active one), the
-- membership's emails and the audit event. One statement is one round trip to the
-- database and atomic on its own: when any part fails (a taken address or userName, no
-- free seat: "no free seat") nothing of it stays, even inside a larger transaction.
-- The SCIM service decides every value; this only writes them together.
CREATE VIEW scim_user_creations AS SELECT
    NULL AS user_id, NULL AS email, NULL AS email_key, NULL AS display_name, NULL AS password_hash,
    NULL AS membership_id, NULL AS org_id, NULL AS role, NULL AS status, NULL AS source,
    NULL AS disconnected_at, NULL AS user_name, NULL AS user_name_key, NULL AS external_id,
    NULL AS scim_attributes,
    NULL AS emails,          -- JSON array of {value, value_key, type, primary, display}
    NULL AS audit_id, NULL AS actor_kind, NULL AS actor_id, NULL AS actor_name, NULL AS action,
    NULL AS target_kind, NULL AS target_id, NULL AS details, NULL AS client_addr,
    NULL AS created_at
WHERE 0;

CREATE TRIGGER scim_user_creations_insert INSTEAD OF INSERT ON scim_user_creations
BEGIN
    INSERT INTO users (id, email, email_key, display_name, password_hash, created_at, updated_at)
    VALUES (NEW.user_id, NEW.email, NEW.email_key, NEW.display_name, NEW.password_hash,
            NEW.created_at, NEW.created_at);

    SELECT RAISE(ABORT, 'no free seat')
      FROM organizations
     WHERE id = NEW.org_id AND NEW.status = 'active'
       AND seat_limit IS NOT NULL AND seats_used >= seat_limit;

    INSERT INTO memberships (id, org_id, user_id, role, status, source, disconnected_at, user_name,
                             user_name_key, external_id, scim_attributes, version, created_at, updated_at)
    VALUES (NEW.membership_id, NEW.org_id, NEW.user_id, NEW.role, NEW.status, NEW.source,
            NEW.disconnected_at, NEW.user_name, NEW.user_name_key, NEW.external_id,
            NEW.scim_attributes, 1, NEW.created_at, NEW.created_at);

    INSERT INTO scim_emails (membership_id, org_id, position, value, value_key, type, is_primary, display)
    SELECT NEW.membership_id, NEW.org_id, e.key,
           json_extract(e.value, '$.value'), json_extract(e.value, '$.value_key'),
           json_extract(e.value, '$.type'), json_extract(e.value, '$.primary'),
           json_extract(e.value, '$.display')
      FROM json_each(NEW.emails) AS e;

    INSERT INTO audit_events (id, org_id, actor_kind, actor_id, actor_name, action, target_kind,
                              target_id, details, client_addr, created_at)
    VALUES (NEW.audit_id, NEW.org_id, NEW.actor_kind, NEW.actor_id, NEW.actor_name, NEW.action,
            NEW.target_kind, NEW.target_id, NEW.details, NEW.client_addr, NEW.created_at);
END;
