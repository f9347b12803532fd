-- The outbox, cheaper on the SCIM create path (perf/README.md, "Events").
--
-- 1. A rowid table with a unique (org_id, seq) index, instead of WITHOUT ROWID keyed by
--    (org_id, seq). A WITHOUT ROWID table keeps its rows in an index B-tree, whose cells
--    hold at most about a quarter of a page on the page itself: with 1 KiB pages
--    (dialect::SQLITE_PAGE_SIZE) every event carrying its resource (~450 bytes) spilled
--    onto an overflow page of its own, one more whole page per SCIM create in the WAL.
--    A rowid table keeps rows of up to ~990 bytes on the leaf.
-- 2. One row may stand for two events of one change: the row's own (seq, id, type) and,
--    when first_id is set, the event just before it (seq - 1, first_id, first_type),
--    with the same actor, time and resource. The SCIM create of a person writes its
--    two events (scim.user.created, membership.created) so; readers expand the row
--    (store::events). A 50,000-user sync wrote 141,000 pages before, 104,000 after.
-- 3. Every row has its resource (before, the second event of a create had NULL, meaning
--    "the previous row's", which the retention job could separate from it).
--
-- The rows are copied out and back (no ALTER TABLE ... RENAME: the SCIM create's
-- trigger names `events`, and a rename checks every trigger's tables).
-- Keep in step with migrations/postgres/.
CREATE TEMP TABLE events_copy AS
SELECT e.org_id, e.seq, e.id, e.type, e.actor_kind, e.actor_id, e.actor_name,
       COALESCE(e.resource, (SELECT p.resource FROM events p
                              WHERE p.org_id = e.org_id AND p.seq = e.seq - 1), '{}') AS resource,
       e.created_at
  FROM events e;
DROP TABLE events;

CREATE TABLE events (
    org_id      BLOB NOT NULL,
    seq         INTEGER NOT NULL,
    id          BLOB NOT NULL,
    type        TEXT NOT NULL,
    first_id    BLOB,              -- with first_type: the event numbered seq - 1
    first_type  TEXT,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT NOT NULL,
    resource    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, seq)
);

INSERT INTO events (org_id, seq, id, type, actor_kind, actor_id, actor_name, resource, created_at)
SELECT org_id, seq, id, type, actor_kind, actor_id, actor_name, resource, created_at
  FROM events_copy ORDER BY org_id, seq;
DROP TABLE events_copy;

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

    -- One row for the create's events: the second (seq) and, in first_id/first_type,
    -- the first (seq - 1), which share the actor, the time and the resource.
    INSERT INTO events (org_id, seq, id, type, first_id, first_type, actor_kind, actor_id,
                        actor_name, resource, created_at)
    SELECT NEW.org_id,
           COALESCE((SELECT MAX(seq) FROM events WHERE org_id = NEW.org_id), 0) + 1
               + (NEW.event2_id IS NOT NULL),
           COALESCE(NEW.event2_id, NEW.event1_id), COALESCE(NEW.event2_type, NEW.event1_type),
           CASE WHEN NEW.event2_id IS NOT NULL THEN NEW.event1_id END,
           CASE WHEN NEW.event2_id IS NOT NULL THEN NEW.event1_type END,
           NEW.actor_kind, NEW.actor_id, NEW.actor_name, NEW.event_resource, NEW.created_at
     WHERE NEW.event1_id IS NOT NULL;
END;
