//! The schema tables: RFC 7643 §4.1 (User), §4.2 (Group), §4.3 (enterprise
//! User extension) with the characteristics of §8.7.1, plus the common
//! attributes of §3.1 (`id`, `externalId`, `meta`), which the RFC leaves out of
//! the schema representations.

use super::{AttrDef, AttrType, ResourceType, Returned, SchemaDef, Uniqueness};
use super::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};

const fn string(name: &'static str, description: &'static str) -> AttrDef {
    AttrDef::new(name, AttrType::String, description)
}

const fn boolean(name: &'static str, description: &'static str) -> AttrDef {
    AttrDef::new(name, AttrType::Boolean, description)
}

const fn date_time(name: &'static str, description: &'static str) -> AttrDef {
    AttrDef::new(name, AttrType::DateTime, description)
}

const fn reference(
    name: &'static str,
    types: &'static [&'static str],
    description: &'static str,
) -> AttrDef {
    AttrDef::new(name, AttrType::Reference, description).references(types)
}

const fn complex(
    name: &'static str,
    subs: &'static [AttrDef],
    description: &'static str,
) -> AttrDef {
    AttrDef::new(name, AttrType::Complex, description).subs(subs)
}

/// `display` and `primary`, shared by the plural attributes of §4.1.2.
const fn display(what: &'static str) -> AttrDef {
    string("display", what)
}

const fn primary(what: &'static str) -> AttrDef {
    boolean("primary", what)
}

/// The common attributes `id`, `externalId` and `meta` (RFC 7643 §3.1). They
/// belong to every resource but are not listed in [`USER`] / [`GROUP`];
/// [`super::resolve`] finds them as if they were core attributes.
pub static COMMON_ATTRIBUTES: &[AttrDef] = &[
    string(
        "id",
        "Unique identifier of the resource, assigned by the service provider.",
    )
    .exact()
    .read_only()
    .returned(Returned::Always)
    .unique(Uniqueness::Server),
    string(
        "externalId",
        "Identifier of the resource as defined by the provisioning client.",
    )
    .exact(),
    complex("meta", META_SUBS, "Resource metadata.")
        .exact()
        .read_only(),
];

const META_SUBS: &[AttrDef] = &[
    string("resourceType", "Name of the resource type.")
        .exact()
        .read_only(),
    date_time(
        "created",
        "When the resource was added to the service provider.",
    )
    .exact()
    .read_only(),
    date_time("lastModified", "When the resource was last updated.")
        .exact()
        .read_only(),
    reference("location", &["uri"], "URI of the resource.")
        .exact()
        .read_only(),
    string("version", "Version (entity tag) of the resource.")
        .exact()
        .read_only(),
];

const NAME_SUBS: &[AttrDef] = &[
    string("formatted", "The full name, formatted for display."),
    string("familyName", "The family name, or last name."),
    string("givenName", "The given name, or first name."),
    string("middleName", "The middle name(s)."),
    string("honorificPrefix", "The honorific prefix(es), e.g. 'Ms.'."),
    string("honorificSuffix", "The honorific suffix(es), e.g. 'III'."),
];

const EMAIL_SUBS: &[AttrDef] = &[
    string("value", "Email address, canonicalized per RFC 5321."),
    display("A human-readable name, primarily used for display purposes."),
    string("type", "A label indicating the email's function.")
        .canonical(&["work", "home", "other"]),
    primary("Whether this is the preferred email address."),
];

const PHONE_SUBS: &[AttrDef] = &[
    string("value", "Phone number, canonicalized per RFC 3966."),
    display("A human-readable name, primarily used for display purposes."),
    string("type", "A label indicating the phone number's function.")
        .canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
    primary("Whether this is the preferred phone number."),
];

const IM_SUBS: &[AttrDef] = &[
    string("value", "Instant messaging address."),
    display("A human-readable name, primarily used for display purposes."),
    string("type", "A label indicating the instant messaging service.")
        .canonical(&["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    primary("Whether this is the preferred messenger."),
];

const PHOTO_SUBS: &[AttrDef] = &[
    reference("value", &["external"], "URL of a photo of the user."),
    display("A human-readable name, primarily used for display purposes."),
    string("type", "A label indicating the photo's function.").canonical(&["photo", "thumbnail"]),
    primary("Whether this is the preferred photo."),
];

const ADDRESS_SUBS: &[AttrDef] = &[
    string(
        "formatted",
        "The full mailing address, formatted for display.",
    ),
    string("streetAddress", "The full street address component."),
    string("locality", "The city or locality component."),
    string("region", "The state or region component."),
    string("postalCode", "The zip code or postal code component."),
    string(
        "country",
        "The country name component (ISO 3166-1 alpha-2).",
    ),
    string("type", "A label indicating the address's function.")
        .canonical(&["work", "home", "other"]),
    primary("Whether this is the preferred mailing address."),
];

const GROUPS_SUBS: &[AttrDef] = &[
    string("value", "The identifier of the user's group.").read_only(),
    reference("$ref", &["User", "Group"], "The URI of the group resource.").read_only(),
    display("A human-readable name of the group.").read_only(),
    string("type", "How the membership was derived.")
        .canonical(&["direct", "indirect"])
        .read_only(),
];

const ENTITLEMENT_SUBS: &[AttrDef] = &[
    string("value", "The value of an entitlement."),
    display("A human-readable name, primarily used for display purposes."),
    string("type", "A label indicating the attribute's function."),
    primary("Whether this is the primary entitlement."),
];

const ROLE_SUBS: &[AttrDef] = &[
    string("value", "The value of a role."),
    display("A human-readable name, primarily used for display purposes."),
    string("type", "A label indicating the attribute's function."),
    primary("Whether this is the primary role."),
];

const X509_SUBS: &[AttrDef] = &[
    AttrDef::new(
        "value",
        AttrType::Binary,
        "The value of an X.509 certificate (base64 DER).",
    )
    .exact(),
    display("A human-readable name, primarily used for display purposes."),
    string("type", "A label indicating the attribute's function."),
    primary("Whether this is the primary certificate."),
];

/// `urn:ietf:params:scim:schemas:core:2.0:User`.
pub static USER: SchemaDef = SchemaDef {
    id: USER_SCHEMA,
    name: "User",
    description: "User Account",
    attributes: &[
        string(
            "userName",
            "Unique identifier for the User, used to authenticate.",
        )
        .required()
        .unique(Uniqueness::Server),
        complex("name", NAME_SUBS, "The components of the user's real name."),
        string(
            "displayName",
            "The name of the User, suitable for display to end-users.",
        ),
        string(
            "nickName",
            "The casual way to address the user in real life.",
        ),
        reference(
            "profileUrl",
            &["external"],
            "A fully qualified URL of the User's online profile.",
        ),
        string("title", "The user's title, such as 'Vice President'."),
        string(
            "userType",
            "Identifies the relationship between the organization and the user.",
        ),
        string(
            "preferredLanguage",
            "The User's preferred written or spoken language.",
        ),
        string("locale", "The User's default location, e.g. 'en-US'."),
        string(
            "timezone",
            "The User's time zone in 'Olson' format, e.g. 'America/Los_Angeles'.",
        ),
        boolean("active", "The User's administrative status."),
        string("password", "The User's cleartext password, never returned.")
            .write_only()
            .returned(Returned::Never),
        complex("emails", EMAIL_SUBS, "Email addresses for the user.").multi(),
        complex("phoneNumbers", PHONE_SUBS, "Phone numbers for the User.").multi(),
        complex("ims", IM_SUBS, "Instant messaging addresses for the User.").multi(),
        complex("photos", PHOTO_SUBS, "URLs of photos of the User.").multi(),
        complex(
            "addresses",
            ADDRESS_SUBS,
            "A physical mailing address for this User.",
        )
        .multi(),
        complex(
            "groups",
            GROUPS_SUBS,
            "A list of groups to which the user belongs.",
        )
        .multi()
        .read_only(),
        complex(
            "entitlements",
            ENTITLEMENT_SUBS,
            "A list of entitlements for the User.",
        )
        .multi(),
        complex("roles", ROLE_SUBS, "A list of roles for the User.").multi(),
        complex(
            "x509Certificates",
            X509_SUBS,
            "A list of certificates issued to the User.",
        )
        .multi(),
    ],
};

const MANAGER_SUBS: &[AttrDef] = &[
    string(
        "value",
        "The id of the SCIM resource representing the User's manager.",
    ),
    reference(
        "$ref",
        &["User"],
        "The URI of the SCIM resource representing the User's manager.",
    ),
    string("displayName", "The displayName of the User's manager.").read_only(),
];

/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
pub static ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        string(
            "employeeNumber",
            "Numeric or alphanumeric identifier assigned to a person.",
        ),
        string("costCenter", "Identifies the name of a cost center."),
        string("organization", "Identifies the name of an organization."),
        string("division", "Identifies the name of a division."),
        string("department", "Identifies the name of a department."),
        complex("manager", MANAGER_SUBS, "The User's manager."),
    ],
};

const MEMBER_SUBS: &[AttrDef] = &[
    string("value", "Identifier of the member of this Group.").immutable(),
    reference(
        "$ref",
        &["User", "Group"],
        "The URI of the member resource.",
    )
    .immutable(),
    // Not in RFC 7643 §8.7.1; clients send it and we return it, but the
    // server derives it from the member, so input is ignored.
    display("A human-readable name of the member.").read_only(),
    string("type", "The type of the member.")
        .canonical(&["User", "Group"])
        .immutable(),
];

/// `urn:ietf:params:scim:schemas:core:2.0:Group`.
pub static GROUP: SchemaDef = SchemaDef {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    attributes: &[
        string("displayName", "A human-readable name for the Group.").required(),
        complex("members", MEMBER_SUBS, "A list of members of the Group.").multi(),
    ],
};

/// The `User` resource type, served at `/Users`, with the optional enterprise extension.
pub static USER_RESOURCE: ResourceType = ResourceType {
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER,
    extensions: &[(&ENTERPRISE_USER, false)],
};

/// The `Group` resource type, served at `/Groups`.
pub static GROUP_RESOURCE: ResourceType = ResourceType {
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP,
    extensions: &[],
};
