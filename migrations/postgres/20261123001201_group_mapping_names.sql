-- The directory group's display name as the admin typed it (group_name_key is its
-- case-folded form, the one matched against SCIM groups).
ALTER TABLE group_mappings ADD COLUMN group_name TEXT NOT NULL DEFAULT '';
