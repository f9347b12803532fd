//! Label values from small fixed sets, so no request can grow the number of series.

pub(super) fn known_method(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// The directory behind a SCIM request, from its User-Agent: a fixed, small set.
pub fn directory_client(user_agent: Option<&str>) -> &'static str {
    let ua = user_agent.unwrap_or("").to_ascii_lowercase();
    if ua.contains("azure") || ua.contains("entra") || ua.contains("microsoft") {
        "entra"
    } else if ua.contains("okta") {
        "okta"
    } else if ua.contains("google") {
        "google"
    } else if ua.contains("onelogin") {
        "onelogin"
    } else if ua.contains("jumpcloud") {
        "jumpcloud"
    } else {
        "other"
    }
}

/// (resource, operation) of a SCIM route pattern under `/scim/v2` and its method.
pub(super) fn scim_operation(route: &str, method: &str) -> (&'static str, &'static str) {
    let rest = route.strip_prefix("/scim/v2").unwrap_or(route);
    let (resource, tail) = match rest {
        r if r.starts_with("/Users") => ("User", &r["/Users".len()..]),
        r if r.starts_with("/Groups") => ("Group", &r["/Groups".len()..]),
        "/Bulk" => return ("Bulk", "bulk"),
        "/.search" => return ("any", "search"),
        r if r.starts_with("/ServiceProviderConfig")
            || r.starts_with("/ResourceTypes")
            || r.starts_with("/Schemas") =>
        {
            return ("discovery", "get");
        }
        _ => return ("unknown", "unknown"),
    };
    let operation = match (tail, method) {
        ("/.search", _) => "search",
        ("", "GET") => "list",
        ("", "POST") => "create",
        ("/{id}", "GET") => "get",
        ("/{id}", "PUT") => "replace",
        ("/{id}", "PATCH") => "patch",
        ("/{id}", "DELETE") => "delete",
        _ => "unknown",
    };
    (resource, operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_named_from_a_fixed_set() {
        assert_eq!(
            directory_client(Some("Azure Active Directory SCIM Client")),
            "entra"
        );
        assert_eq!(directory_client(Some("Okta SCIM Client 1.0.0")), "okta");
        assert_eq!(directory_client(Some("Google-Provisioning")), "google");
        assert_eq!(directory_client(Some("OneLogin")), "onelogin");
        assert_eq!(directory_client(Some("JumpCloud SCIM")), "jumpcloud");
        assert_eq!(directory_client(Some("curl/8.0 random-1234")), "other");
        assert_eq!(directory_client(None), "other");
    }

    #[test]
    fn scim_routes_map_to_resource_and_operation() {
        assert_eq!(scim_operation("/scim/v2/Users", "GET"), ("User", "list"));
        assert_eq!(scim_operation("/scim/v2/Users", "POST"), ("User", "create"));
        assert_eq!(
            scim_operation("/scim/v2/Groups/{id}", "PATCH"),
            ("Group", "patch")
        );
        assert_eq!(
            scim_operation("/scim/v2/Users/.search", "POST"),
            ("User", "search")
        );
        assert_eq!(scim_operation("/scim/v2/Bulk", "POST"), ("Bulk", "bulk"));
        assert_eq!(
            scim_operation("/scim/v2/Schemas/{id}", "GET"),
            ("discovery", "get")
        );
    }
}
