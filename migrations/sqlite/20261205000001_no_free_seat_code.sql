-- The seat rule's refusal carries a code the store recognises (`dialect::is_no_free_seat`)
-- instead of a sentence: SQLite's RAISE has no error code of its own, so the message
-- starts with it. Otherwise the trigger is the one of 20261123001401.
DROP TRIGGER scim_user_creations_insert;

CREATE TRIGGER scim_user_creations_insert INSTEAD OF INSERT ON scim_user_creations
BEGIN
    INSERT INTO users (id, email, email_key, display_name, password_hash, created_at, updated_at)
    VALUES (NEW.user_id, NEW.email, NEW.email_key, NEW.display_name, NEW.password_hash,
            NEW.created_at, NEW.created_at);

    SELECT RAISE(ABORT, 'SEATS: no free seat')
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
