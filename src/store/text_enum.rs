//! The database encoding of the domain's text enums: each is kept as its lower-case
//! text name (`TEXT` columns with `CHECK` constraints on both backends).

use crate::domain::{
    ActorKind, AuditAction, EventType, InvitationKind, InvitationStatus, LinkAttribute,
    LinkPurpose, Role, Source, Status, WorkspaceRole,
};

/// Implements sqlx's `Type`, `Encode` and `Decode` for enums made by `text_enum!`.
macro_rules! sql_text {
    ($($name:ty),+ $(,)?) => {$(
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            String: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut DB::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, DB>>::encode(self.as_str().to_string(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                Ok(s.parse::<$name>()?)
            }
        }
    )+};
}

sql_text!(
    ActorKind,
    AuditAction,
    EventType,
    InvitationKind,
    InvitationStatus,
    LinkAttribute,
    LinkPurpose,
    Role,
    Source,
    Status,
    WorkspaceRole,
);
