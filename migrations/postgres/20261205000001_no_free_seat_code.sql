-- The seat rule's refusal carries its own SQLSTATE, SEATS, which the store recognises
-- (`dialect::is_no_free_seat`) instead of matching a sentence. Otherwise the function is
-- the one of 20261123001401.
CREATE OR REPLACE FUNCTION scim_user_creations_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    org organizations%ROWTYPE;
BEGIN
    INSERT INTO users (id, email, email_key, display_name, password_hash, created_at, updated_at)
    VALUES (NEW.user_id, NEW.email, NEW.email_key, NEW.display_name, NEW.password_hash,
            NEW.created_at, NEW.created_at);

    -- The row lock orders concurrent creates of one organization around its seat count.
    SELECT * INTO org FROM organizations WHERE id = NEW.org_id FOR UPDATE;
    IF NEW.status = 'active' AND org.seat_limit IS NOT NULL AND org.seats_used >= org.seat_limit THEN
        RAISE EXCEPTION 'no free seat' USING ERRCODE = 'SEATS';
    END IF;

    INSERT INTO memberships (id, org_id, user_id, role, status, source, disconnected_at, user_name,
                             user_name_key, external_id, scim_attributes, version, created_at, updated_at)
    VALUES (NEW.membership_id, NEW.org_id, NEW.user_id, NEW.role, NEW.status, NEW.source,
            NEW.disconnected_at, NEW.user_name, NEW.user_name_key, NEW.external_id,
            NEW.scim_attributes, 1, NEW.created_at, NEW.created_at);

    INSERT INTO scim_emails (membership_id, org_id, position, value, value_key, type, is_primary, display)
    SELECT NEW.membership_id, NEW.org_id, (e.n - 1)::integer,
           e.v ->> 'value', e.v ->> 'value_key', e.v ->> 'type',
           COALESCE((e.v ->> 'primary')::boolean, false), e.v ->> 'display'
      FROM jsonb_array_elements(COALESCE(NEW.emails, '[]'::jsonb)) WITH ORDINALITY AS e(v, n);

    INSERT INTO audit_events (id, org_id, actor_kind, actor_id, actor_name, action, target_kind,
                              target_id, details, client_addr, created_at)
    VALUES (NEW.audit_id, NEW.org_id, NEW.actor_kind, NEW.actor_id, NEW.actor_name, NEW.action,
            NEW.target_kind, NEW.target_id, NEW.details, NEW.client_addr, NEW.created_at);
    RETURN NEW;
END
$$;
