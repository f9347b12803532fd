//! How the layers of configuration become one [`Config`]: TOML parsing, merging,
//! `*_file` keys, `GATEHOUSE_*` variables, and the final typed read.

use super::{CONFIG_FILE_ENV, Config, ConfigError, ENV_PREFIX};
use toml::{Table, Value};

/// A cron expression with seconds: six fields.
pub(super) fn croner_check(schedule: &str) -> Result<(), String> {
    let fields = schedule.split_whitespace().count();
    if fields != 6 {
        return Err(format!(
            "\"{schedule}\" is not a cron schedule with seconds (6 fields, e.g. \"0 */5 * * * *\")"
        ));
    }
    Ok(())
}

pub(super) fn parse_toml(text: &str, origin: &str) -> Result<Table, ConfigError> {
    text.parse::<Table>().map_err(|e| ConfigError::Parse {
        path: origin.to_string(),
        message: e.message().to_string(),
    })
}

pub(super) fn merge(base: &mut Table, over: Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(b)), Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// Replaces every `name_file = "PATH"` by `name = <contents of PATH>`.
pub(super) fn resolve_file_keys(table: &mut Table, prefix: &str) -> Result<(), ConfigError> {
    let keys: Vec<String> = table.keys().cloned().collect();
    for key in keys {
        let full = join(prefix, &key);
        if let Some(Value::Table(inner)) = table.get_mut(&key) {
            resolve_file_keys(inner, &full)?;
            continue;
        }
        let Some(name) = key.strip_suffix("_file") else {
            continue;
        };
        let Some(Value::String(path)) = table.remove(&key) else {
            return Err(ConfigError::Invalid {
                key: full,
                message: "must be a file path".into(),
            });
        };
        let contents = read_secret_file(&full, &path)?;
        table.insert(name.to_string(), Value::String(contents));
    }
    Ok(())
}

fn read_secret_file(key: &str, path: &str) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim_end_matches(['\r', '\n']).to_string())
        .map_err(|e| ConfigError::Invalid {
            key: key.to_string(),
            message: format!("cannot read {path}: {e}"),
        })
}

pub(super) fn apply_env(
    tree: &mut Table,
    defaults: &Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    for (name, raw) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if name == CONFIG_FILE_ENV {
            continue;
        }
        let mut path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
        let key_name = path.join(".");
        let mut value = raw;
        if let Some(last) = path.last_mut()
            && let Some(stripped) = last.strip_suffix("_file")
        {
            value = read_secret_file(&name, &value)?;
            *last = stripped.to_string();
        }
        if path.iter().any(|p| p.is_empty()) {
            return Err(ConfigError::UnknownKey(format!("{name} ({key_name})")));
        }
        let typed = typed_env_value(defaults, &path, value);
        set_path(tree, &path, typed).map_err(|message| ConfigError::Invalid {
            key: key_name,
            message,
        })?;
    }
    Ok(())
}

/// Environment values are text: keep them text where the default is text,
/// otherwise read them as a TOML value (numbers, booleans, arrays) when they parse.
fn typed_env_value(defaults: &Table, path: &[String], raw: String) -> Value {
    let mut node: Option<&Value> = None;
    let mut table = Some(defaults);
    for part in path {
        node = table.and_then(|t| t.get(part));
        table = node.and_then(Value::as_table);
    }
    if matches!(node, Some(Value::String(_))) {
        return Value::String(raw);
    }
    let wrapped = format!("v = {raw}");
    match wrapped.parse::<Table>() {
        Ok(mut t) => t.remove("v").unwrap_or(Value::String(raw)),
        Err(_) => Value::String(raw),
    }
}

fn set_path(tree: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("empty key".into());
    };
    let mut table = tree;
    for part in parents {
        let entry = table
            .entry(part.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{part}` is a value, not a section"))?;
    }
    table.insert(last.clone(), value);
    Ok(())
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

pub(super) fn deserialize(tree: Table) -> Result<Config, ConfigError> {
    let mut unknown = Vec::new();
    let value = Value::Table(tree);
    let mut note_unknown = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let ignored = serde_ignored::Deserializer::new(value, &mut note_unknown);
    let result: Result<Config, _> = serde_path_to_error::deserialize(ignored);
    if let Some(first) = unknown.into_iter().next() {
        return Err(ConfigError::UnknownKey(first));
    }
    result.map_err(|e| ConfigError::Invalid {
        key: e.path().to_string(),
        message: e.into_inner().message().to_string(),
    })
}
