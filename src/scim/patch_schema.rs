//! The PATCH engine's view of a resource type, answered by the schema module.

use super::error::ScimError;
use super::filter::{AttrPath, AttrSchema};
use super::patch::PatchSchema;
use super::schema::{self, GROUP_RESOURCE, Mode, ResourceType, USER_RESOURCE};
use serde_json::Value;

pub struct ResourcePatchSchema(pub &'static ResourceType);

pub static USER: ResourcePatchSchema = ResourcePatchSchema(&USER_RESOURCE);
pub static GROUP: ResourcePatchSchema = ResourcePatchSchema(&GROUP_RESOURCE);

impl ResourcePatchSchema {
    fn resolve(&self, path: &AttrPath) -> Result<schema::Resolved<'static>, ScimError> {
        schema::resolve(self.0, path)
            .ok_or_else(|| ScimError::invalid_path(format!("unknown attribute \"{path}\"")))
    }

    fn is_core(&self, r: &schema::Resolved<'_>) -> bool {
        std::ptr::eq(r.schema, self.0.schema)
    }
}

impl AttrSchema for ResourcePatchSchema {
    fn case_exact(&self, path: &AttrPath) -> bool {
        self.0.case_exact(path)
    }
}

impl PatchSchema for ResourcePatchSchema {
    fn multi_valued(&self, path: &AttrPath) -> bool {
        schema::resolve(self.0, path).is_some_and(|r| r.attr.multi_valued)
    }

    fn canonical_name(&self, path: &AttrPath) -> Option<AttrPath> {
        if path.urn.is_none()
            && path.sub.is_none()
            && let Some(ext) = self.0.extension_by_urn(&path.name)
        {
            return Some(AttrPath::simple(ext.id));
        }
        let r = schema::resolve(self.0, path)?;
        Some(AttrPath {
            urn: (!self.is_core(&r)).then(|| r.schema.id.to_string()),
            name: r.attr.name.to_string(),
            sub: r.sub.map(|s| s.name.to_string()),
        })
    }

    fn read_only(&self, path: &AttrPath) -> bool {
        schema::resolve(self.0, path)
            .is_some_and(|r| r.attr.is_read_only() || r.sub.is_some_and(|s| s.is_read_only()))
    }

    fn normalize_value(&self, path: &AttrPath, value: &Value) -> Result<Value, ScimError> {
        let r = self.resolve(path)?;
        if r.attr.multi_valued && r.sub.is_none() {
            schema::canonicalize_element(self.0, &r, value)
        } else {
            schema::canonicalize_value(self.0, &r, value)
        }
    }

    fn normalize_object(&self, value: &Value) -> Result<Value, ScimError> {
        let mut doc = schema::canonicalize(self.0, value, Mode::Partial)?;
        if let Some(map) = doc.as_object_mut() {
            map.remove("schemas");
        }
        Ok(doc)
    }
}
