-- The outbox, cheaper on the SCIM create path (perf/README.md, "Events"); keep in step
-- with migrations/sqlite/.
--
-- One row may stand for two events of one change: the row's own (seq, id, type) and,
-- when first_id is set, the event just before it (seq - 1, first_id, first_type), with
-- the same actor, time and resource. The SCIM create of a person writes its two events
-- (scim.user.created, membership.created) so; readers expand the row (store::events).
-- Every row now has its resource (before, the second event of a create had NULL,
-- meaning "the previous row's", which the retention job could separate from it).
ALTER TABLE events ADD COLUMN first_id UUID, ADD COLUMN first_type TEXT;
UPDATE events e SET resource = COALESCE(
    (SELECT p.resource FROM events p WHERE p.org_id = e.org_id AND p.seq = e.seq - 1), '{}')
 WHERE e.resource IS NULL;
ALTER TABLE events ALTER COLUMN resource SET NOT NULL;

CREATE OR REPLACE FUNCTION scim_user_creations_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    org organizations%ROWTYPE;
    n_events integer := (NEW.event1_id IS NOT NULL)::integer + (NEW.event2_id IS NOT NULL)::integer;
    top bigint;
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

    IF NEW.event1_id IS NOT NULL THEN
        -- A plain update (HOT) of the row every organization has since its creation
        -- (the organization's row is locked above, so the insert cannot race).
        UPDATE event_counters SET last_seq = last_seq + n_events WHERE org_id = NEW.org_id
            RETURNING last_seq INTO top;
        IF NOT FOUND THEN
            INSERT INTO event_counters (org_id, last_seq) VALUES (NEW.org_id, n_events);
            top := n_events;
        END IF;
        -- One row for the create's events: the last (top) and, in first_id/first_type,
        -- the first (top - 1), which share the actor, the time and the resource.
        INSERT INTO events (org_id, seq, id, type, first_id, first_type, actor_kind, actor_id,
                            actor_name, resource, created_at)
        VALUES (NEW.org_id, top, COALESCE(NEW.event2_id, NEW.event1_id),
                COALESCE(NEW.event2_type, NEW.event1_type),
                CASE WHEN NEW.event2_id IS NOT NULL THEN NEW.event1_id END,
                CASE WHEN NEW.event2_id IS NOT NULL THEN NEW.event1_type END,
                NEW.actor_kind, NEW.actor_id, NEW.actor_name, NEW.event_resource, NEW.created_at);
    END IF;
    RETURN NEW;
END
$$;
