-- An organization's last event number lives on its own row (organizations.last_event_seq)
-- instead of event_counters (perf/README.md, "Events"). The SCIM create of a person
-- locked the organization's row (SELECT ... FOR UPDATE, for the seat rule), updated it
-- (the seat counter) and updated its event_counters row: one UPDATE of the
-- organization's row now takes the lock, reads the seat figures and numbers the events.
-- Every other writer of events takes its numbers with the same UPDATE (store::events),
-- so the organization's writers still take their numbers and commit in turn.
-- Keep in step with migrations/sqlite/ (which numbers by MAX(seq) + 1 and has nothing
-- to change).
ALTER TABLE organizations ADD COLUMN last_event_seq BIGINT NOT NULL DEFAULT 0;
UPDATE organizations o SET last_event_seq = c.last_seq
  FROM event_counters c WHERE c.org_id = o.id;
DROP TABLE event_counters;

CREATE OR REPLACE FUNCTION scim_user_creations_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n_events integer := (NEW.event1_id IS NOT NULL)::integer + (NEW.event2_id IS NOT NULL)::integer;
    org_seat_limit bigint;
    org_seats_used bigint;
    top bigint;
BEGIN
    INSERT INTO users (id, email, email_key, display_name, password_hash, created_at, updated_at)
    VALUES (NEW.user_id, NEW.email, NEW.email_key, NEW.display_name, NEW.password_hash,
            NEW.created_at, NEW.created_at);

    -- The row lock orders concurrent creates of one organization around its seat count
    -- and its event numbers, taken here for this create's events.
    UPDATE organizations o SET last_event_seq = o.last_event_seq + n_events
     WHERE o.id = NEW.org_id
    RETURNING o.seat_limit, o.seats_used, o.last_event_seq INTO org_seat_limit, org_seats_used, top;
    IF NEW.status = 'active' AND org_seat_limit IS NOT NULL AND org_seats_used >= org_seat_limit THEN
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
