-- The outbox of events for the suite's apps (`services::events`): written in the
-- transaction of each change, with a per-organization sequence that never skips or
-- repeats: the counter row, updated in the writer's transaction, makes the writers of
-- one organization take their numbers and commit in turn. Keep in step with
-- migrations/sqlite/.
CREATE TABLE event_counters (
    org_id    UUID PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    last_seq  BIGINT NOT NULL
);
INSERT INTO event_counters (org_id, last_seq) SELECT id, 0 FROM organizations;

-- Keyed by (org_id, seq), the Events API's order (ids are UUIDv7, unique by
-- construction; found by (org_id, seq)). No index on created_at: the
-- retention job's hourly scan is cheaper than one more index entry per event on the
-- SCIM create path. No foreign key to organizations either (organizations are never
-- deleted, and event_counters has it).
CREATE TABLE events (
    org_id      UUID NOT NULL,
    seq         BIGINT NOT NULL,
    id          UUID NOT NULL,
    type        TEXT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT NOT NULL,
    resource    JSONB,              -- NULL: the same as the event before it (seq - 1)
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, seq)
);

-- The SCIM create of a new person (one statement, see 20261123001401) writes its
-- events too: at most two (event1_*, event2_*), which take the organization's next
-- sequence numbers in order; the second shares the first's resource (event_resource,
-- stored once: its own is NULL).
DROP VIEW scim_user_creations CASCADE;

CREATE VIEW scim_user_creations AS SELECT
    NULL::uuid AS user_id, NULL::text AS email, NULL::text AS email_key,
    NULL::text AS display_name, NULL::text AS password_hash,
    NULL::uuid AS membership_id, NULL::uuid AS org_id, NULL::text AS role, NULL::text AS status,
    NULL::text AS source, NULL::timestamptz AS disconnected_at, NULL::text AS user_name,
    NULL::text AS user_name_key, NULL::text AS external_id, NULL::jsonb AS scim_attributes,
    NULL::jsonb AS emails,   -- array of {value, value_key, type, primary, display}
    NULL::uuid AS audit_id, NULL::text AS actor_kind, NULL::text AS actor_id,
    NULL::text AS actor_name, NULL::text AS action, NULL::text AS target_kind,
    NULL::text AS target_id, NULL::jsonb AS details, NULL::text AS client_addr,
    NULL::timestamptz AS created_at,
    NULL::jsonb AS event_resource, NULL::uuid AS event1_id, NULL::text AS event1_type,
    NULL::uuid AS event2_id, NULL::text AS event2_type
WHERE false;

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
        INSERT INTO events (org_id, seq, id, type, actor_kind, actor_id, actor_name, resource, created_at)
        VALUES (NEW.org_id, top - n_events + 1, NEW.event1_id, NEW.event1_type, NEW.actor_kind,
                NEW.actor_id, NEW.actor_name, NEW.event_resource, NEW.created_at);
        IF NEW.event2_id IS NOT NULL THEN
            INSERT INTO events (org_id, seq, id, type, actor_kind, actor_id, actor_name, resource, created_at)
            VALUES (NEW.org_id, top, NEW.event2_id, NEW.event2_type, NEW.actor_kind,
                    NEW.actor_id, NEW.actor_name, NULL, NEW.created_at);
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER scim_user_creations_insert INSTEAD OF INSERT ON scim_user_creations
    FOR EACH ROW EXECUTE FUNCTION scim_user_creations_insert();
