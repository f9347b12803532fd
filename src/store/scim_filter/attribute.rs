//! Attribute paths: indexed columns, e-mail rows, group members, the resource JSON.

use super::*;

impl Translator {
    pub(super) fn attribute(
        &mut self,
        path: &AttrPath,
        cmp: Option<(CompareOp, &CompValue)>,
        scope: &Scope<'_>,
    ) -> Result<String, ScimError> {
        match scope {
            Scope::Root => self.root_attribute(path, cmp),
            Scope::EmailRow => {
                let (expr, kind) = email_column(&path.name)?;
                self.compare(expr, kind, cmp)
            }
            Scope::MemberRow => {
                if !path.name.eq_ignore_ascii_case("value") {
                    return Err(ScimError::invalid_filter(format!(
                        "members can be filtered by value only, not \"{}\"",
                        path.name
                    )));
                }
                self.compare("gm.membership_id", Kind::Uuid, cmp)
            }
            Scope::JsonElement(parent) => {
                let sub = find_sub(parent, &path.name)?;
                let expr = self.json_element(sub.name, sub.ty);
                self.compare(&expr, kind_of(sub), cmp)
            }
        }
    }

    pub(super) fn root_attribute(
        &mut self,
        path: &AttrPath,
        cmp: Option<(CompareOp, &CompValue)>,
    ) -> Result<String, ScimError> {
        let alias = self.alias();
        if let Some(common) = schema::resolve_common(path) {
            return match common {
                Common::Id => self.compare(&format!("{alias}.id"), Kind::Uuid, cmp),
                Common::ExternalId => self.compare(
                    &format!("{alias}.external_id"),
                    Kind::Text {
                        folded: false,
                        prefolded: false,
                    },
                    cmp,
                ),
                Common::MetaCreated => {
                    self.compare(&format!("{alias}.created_at"), Kind::Time, cmp)
                }
                Common::MetaLastModified => {
                    self.compare(&format!("{alias}.updated_at"), Kind::Time, cmp)
                }
                _ => Err(ScimError::invalid_filter(format!(
                    "filtering on \"{path}\" is not supported"
                ))),
            };
        }
        let rt = self.target.resource();
        let resolved = schema::resolve(rt, path)
            .ok_or_else(|| ScimError::invalid_filter(format!("unknown attribute \"{path}\"")))?;
        let attr = resolved.attr;
        let is_core = resolved.schema.id == rt.schema.id;
        match (self.target, attr.name, is_core) {
            (Target::Users, "userName", true) => self.compare("m.user_name_key", PREFOLDED, cmp),
            (Target::Users, "active", true) => {
                self.compare("(m.status = 'active')", Kind::Bool, cmp)
            }
            (Target::Users, "emails", true) => {
                let sub = resolved.sub.map(|s| s.name).unwrap_or("value");
                let (expr, kind) = email_column(sub)?;
                let inner = self.compare(expr, kind, cmp)?;
                Ok(format!(
                    "m.id IN (SELECT e.membership_id FROM scim_emails e WHERE e.org_id = $1 AND {inner})"
                ))
            }
            (Target::Users, "groups", true) => {
                let sub = resolved.sub.map(|s| s.name).unwrap_or("value");
                let inner = match sub {
                    "value" => self.compare("gm.group_id", Kind::Uuid, cmp)?,
                    "display" => self.compare("g2.display_name_key", PREFOLDED, cmp)?,
                    other => {
                        return Err(ScimError::invalid_filter(format!(
                            "groups can be filtered by value or display, not \"{other}\""
                        )));
                    }
                };
                Ok(format!(
                    "EXISTS (SELECT 1 FROM group_members gm JOIN scim_groups g2 ON g2.id = gm.group_id \
                     WHERE gm.membership_id = m.id AND {inner})"
                ))
            }
            (Target::Groups, "displayName", true) => {
                self.compare("g.display_name_key", PREFOLDED, cmp)
            }
            (Target::Groups, "members", true) => {
                let sub = resolved.sub.map(|s| s.name).unwrap_or("value");
                if sub != "value" {
                    return Err(ScimError::invalid_filter(format!(
                        "members can be filtered by value only, not \"{sub}\""
                    )));
                }
                let inner = self.compare("gm.membership_id", Kind::Uuid, cmp)?;
                Ok(format!(
                    "EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND {inner})"
                ))
            }
            _ => self.json_attribute(&resolved, is_core, cmp),
        }
    }

    /// An attribute kept in the resource JSON.
    pub(super) fn json_attribute(
        &mut self,
        resolved: &schema::Resolved<'_>,
        is_core: bool,
        cmp: Option<(CompareOp, &CompValue)>,
    ) -> Result<String, ScimError> {
        let attr = resolved.attr;
        let urn = if is_core {
            None
        } else {
            Some(resolved.schema.id)
        };
        if attr.multi_valued {
            let sub = match resolved.sub {
                Some(s) => s,
                None if attr.sub_attributes.is_empty() => attr,
                None => find_sub(attr, "value")?,
            };
            let elements = self.json_elements(urn, attr.name);
            let expr = if attr.sub_attributes.is_empty() {
                self.json_scalar_element(attr.ty)
            } else {
                self.json_element(sub.name, sub.ty)
            };
            let inner = self.compare(&expr, kind_of(sub), cmp)?;
            return Ok(format!("EXISTS (SELECT 1 FROM {elements} WHERE {inner})"));
        }
        match resolved.sub {
            Some(sub) => {
                let expr = self.json_value(&[urn, Some(attr.name), Some(sub.name)], sub.ty);
                self.compare(&expr, kind_of(sub), cmp)
            }
            None if attr.ty == AttrType::Complex => match cmp {
                None => {
                    let expr = self.json_value(&[urn, Some(attr.name)], AttrType::Complex);
                    Ok(format!("({expr} IS NOT NULL)"))
                }
                // `manager eq "id"` (Entra) compares the `value` sub-attribute.
                Some(_) => {
                    let sub = find_sub(attr, "value").map_err(|_| {
                        ScimError::invalid_filter(format!(
                            "\"{}\" is complex: compare one of its sub-attributes",
                            attr.name
                        ))
                    })?;
                    let expr = self.json_value(&[urn, Some(attr.name), Some(sub.name)], sub.ty);
                    self.compare(&expr, kind_of(sub), cmp)
                }
            },
            None => {
                let expr = self.json_value(&[urn, Some(attr.name)], attr.ty);
                self.compare(&expr, kind_of(attr), cmp)
            }
        }
    }

    pub(super) fn value_path(
        &mut self,
        path: &AttrPath,
        inner: &Filter,
        scope: &Scope<'_>,
    ) -> Result<String, ScimError> {
        if !matches!(scope, Scope::Root) {
            return Err(ScimError::invalid_filter("value filters cannot be nested"));
        }
        let rt = self.target.resource();
        let resolved = schema::resolve(rt, path)
            .ok_or_else(|| ScimError::invalid_filter(format!("unknown attribute \"{path}\"")))?;
        let attr = resolved.attr;
        if !attr.multi_valued && attr.ty != AttrType::Complex {
            return Err(ScimError::invalid_filter(format!(
                "\"{}\" has no sub-attributes to filter on",
                attr.name
            )));
        }
        let is_core = resolved.schema.id == rt.schema.id;
        match (self.target, attr.name, is_core) {
            (Target::Users, "emails", true) => {
                let cond = self.filter(inner, &Scope::EmailRow)?;
                Ok(format!(
                    "m.id IN (SELECT e.membership_id FROM scim_emails e WHERE e.org_id = $1 AND {cond})"
                ))
            }
            (Target::Groups, "members", true) => {
                let cond = self.filter(inner, &Scope::MemberRow)?;
                Ok(format!(
                    "EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND {cond})"
                ))
            }
            _ if attr.multi_valued => {
                let urn = if is_core {
                    None
                } else {
                    Some(resolved.schema.id)
                };
                let elements = self.json_elements(urn, attr.name);
                let cond = self.filter(inner, &Scope::JsonElement(attr))?;
                Ok(format!("EXISTS (SELECT 1 FROM {elements} WHERE {cond})"))
            }
            _ => {
                // A single complex attribute: `name[givenName eq "Ann"]` is `name.givenName eq "Ann"`.
                let qualified = |p: &AttrPath| AttrPath {
                    urn: path.urn.clone(),
                    name: path.name.clone(),
                    sub: Some(p.name.clone()),
                };
                self.filter(&requalify(inner, &qualified), &Scope::Root)
            }
        }
    }
}
