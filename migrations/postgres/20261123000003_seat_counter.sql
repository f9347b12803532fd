-- Seats in use, kept by the database itself: every change of a membership's status moves
-- the counter in the same transaction, so a seat check is one row read instead of a count
-- over the organization's members (which grows with the organization).
ALTER TABLE organizations ADD COLUMN seats_used BIGINT NOT NULL DEFAULT 0;

UPDATE organizations SET seats_used =
    (SELECT COUNT(*) FROM memberships m WHERE m.org_id = organizations.id AND m.status = 'active');

CREATE FUNCTION memberships_seat_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'active' THEN
        UPDATE organizations SET seats_used = seats_used - 1 WHERE id = OLD.org_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'active' THEN
        UPDATE organizations SET seats_used = seats_used + 1 WHERE id = NEW.org_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER memberships_seat_insert AFTER INSERT ON memberships
    FOR EACH ROW WHEN (NEW.status = 'active') EXECUTE FUNCTION memberships_seat_count();
CREATE TRIGGER memberships_seat_delete AFTER DELETE ON memberships
    FOR EACH ROW WHEN (OLD.status = 'active') EXECUTE FUNCTION memberships_seat_count();
CREATE TRIGGER memberships_seat_update AFTER UPDATE OF status ON memberships
    FOR EACH ROW WHEN ((OLD.status = 'active') IS DISTINCT FROM (NEW.status = 'active'))
    EXECUTE FUNCTION memberships_seat_count();
