-- Seats in use, kept by the database itself: every change of a membership's status moves
-- the counter in the same transaction, so a seat check is one row read instead of a count
-- over the organization's members (which grows with the organization).
ALTER TABLE organizations ADD COLUMN seats_used INTEGER NOT NULL DEFAULT 0;

UPDATE organizations SET seats_used =
    (SELECT COUNT(*) FROM memberships m WHERE m.org_id = organizations.id AND m.status = 'active');

CREATE TRIGGER memberships_seat_insert AFTER INSERT ON memberships
WHEN NEW.status = 'active'
BEGIN
    UPDATE organizations SET seats_used = seats_used + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER memberships_seat_delete AFTER DELETE ON memberships
WHEN OLD.status = 'active'
BEGIN
    UPDATE organizations SET seats_used = seats_used - 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER memberships_seat_update AFTER UPDATE OF status ON memberships
WHEN (OLD.status = 'active') <> (NEW.status = 'active')
BEGIN
    UPDATE organizations
       SET seats_used = seats_used + (CASE WHEN NEW.status = 'active' THEN 1 ELSE -1 END)
     WHERE id = NEW.org_id;
END;
