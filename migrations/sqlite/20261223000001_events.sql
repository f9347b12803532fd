-- The outbox of events for the suite's apps (`services::events`): written in the
-- transaction of each change, with a per-organization sequence that never skips or
-- repeats. SQLite's single writer makes the next number the organization's largest
-- plus one (one look-up in the primary key; the retention job always keeps each
-- organization's last event), where PostgreSQL needs its event_counters row.
-- Keep in step with migrations/postgres/.

-- Keyed by (org_id, seq), the Events API's order, without a rowid: each event is one
-- B-tree entry (ids are UUIDv7, unique by construction; found by (org_id, seq)). No
-- index on created_at: the retention job's hourly
-- scan is cheaper than one more index entry per event on the SCIM create path. No
-- foreign key to organizations either (one look-up per event; organizations are never
-- deleted, and event_counters has it).
CREATE TABLE events (
    org_id      BLOB NOT NULL,
    seq         INTEGER NOT NULL,
    id          BLOB NOT NULL,
    type        TEXT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT NOT NULL,
    resource    TEXT,              -- NULL: the same as the event before it (seq - 1)
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, seq)
) WITHOUT ROWID;

-- The SCIM create of a new person (one statement, see 20261123001401) writes its
-- events too: at most two (event1_*, event2_*), which take the organization's next
-- sequence numbers in order; the second shares the first's resource (event_resource,
-- stored once: its own is NULL).
DROP TRIGGER scim_user_creations_insert;
DROP VIEW scim_user_creations;

CREATE VIEW scim_user_creations AS SELECT
    NULL AS user_id, NULL AS email, NULL AS email_key, NULL AS display_name, NULL AS password_hash,
    NULL AS membership_id, NULL AS org_id, NULL AS role, NULL AS status, NULL AS source,
    NULL AS disconnected_at, NULL AS user_name, NULL AS user_name_key, NULL AS external_id,
    NULL AS scim_attributes,
    NULL AS emails,          -- JSON array of {value, value_key, type, primary, display}
    NULL AS audit_id, NULL AS actor_kind, NULL AS actor_id, NULL AS actor_name, NULL AS action,
    NULL AS target_kind, NULL AS target_id, NULL AS details, NULL AS client_addr,
    NULL AS created_at,
    NULL AS event_resource, NULL AS event1_id, NULL AS event1_type, NULL AS event2_id,
    NULL AS event2_type
WHERE 0;

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

    INSERT INTO events (org_id, seq, id, type, actor_kind, actor_id, actor_name, resource, created_at)
    SELECT NEW.org_id, COALESCE((SELECT MAX(seq) FROM events WHERE org_id = NEW.org_id), 0) + 1,
           NEW.event1_id, NEW.event1_type, NEW.actor_kind, NEW.actor_id, NEW.actor_name,
           NEW.event_resource, NEW.created_at
     WHERE NEW.event1_id IS NOT NULL;

    INSERT INTO events (org_id, seq, id, type, actor_kind, actor_id, actor_name, resource, created_at)
    SELECT NEW.org_id, (SELECT MAX(seq) FROM events WHERE org_id = NEW.org_id) + 1,
           NEW.event2_id, NEW.event2_type, NEW.actor_kind, NEW.actor_id, NEW.actor_name,
           NULL, NEW.created_at
     WHERE NEW.event2_id IS NOT NULL;
END;
