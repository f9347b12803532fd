//! Profile images ("Org Admins can upload a User Profile image"). The type is decided
//! by the bytes, never by the upload's name or Content-Type: only PNG, JPEG, GIF and
//! WebP pass, so nothing scriptable (SVG, HTML) is ever stored or served.

use super::audit::{self, Change};
use super::members::OrgActor;
use super::{Ctx, Error, Result, not_found};
use crate::domain::AuditAction;
use crate::store::avatars::{self, Avatar};
use crate::store::memberships;
use serde_json::json;
use uuid::Uuid;

/// The image type of `bytes` by their magic numbers, if it is one we accept.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG) {
        Some("image/png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The words every refusal of a wrong type uses.
pub const WRONG_TYPE: &str = "The profile image must be a PNG, JPEG, GIF or WebP picture.";

/// The refusal of an image over the limit (also used by handlers that stop reading early).
pub fn too_large(ctx: &Ctx) -> Error {
    Error::TooLarge(format!(
        "The profile image is too large: at most {} KiB.",
        ctx.config.server.max_avatar_bytes / 1024
    ))
}

/// Admins set anyone's image; a person may set their own.
fn authorize(actor: &OrgActor, membership_id: Uuid) -> Result<()> {
    if actor.is_admin() || actor.membership_id() == Some(membership_id) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Only organization admins can change other people's profile images.".into(),
        ))
    }
}

pub async fn set(ctx: &Ctx, actor: &OrgActor, membership_id: Uuid, bytes: Vec<u8>) -> Result<()> {
    authorize(actor, membership_id)?;
    if bytes.len() > ctx.config.server.max_avatar_bytes {
        return Err(too_large(ctx));
    }
    let content_type = sniff(&bytes).ok_or_else(|| Error::invalid(WRONG_TYPE))?;
    let mut tx = ctx.store.begin().await?;
    let member = memberships::get_view(&mut tx, actor.org_id, membership_id)
        .await
        .map_err(not_found("member"))?;
    let avatar = Avatar {
        membership_id,
        org_id: actor.org_id,
        content_type: content_type.to_string(),
        sha256: crate::token::sha256_hex(&bytes),
        bytes,
        updated_at: ctx.now(),
    };
    avatars::upsert(&mut tx, &avatar).await?;
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::MemberAvatarSet,
            target_kind: "membership",
            target_id: membership_id.to_string(),
            details: json!({ "email": member.email, "content_type": content_type, "bytes": avatar.bytes.len() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the image; removing none is not an error.
pub async fn remove(ctx: &Ctx, actor: &OrgActor, membership_id: Uuid) -> Result<()> {
    authorize(actor, membership_id)?;
    let mut tx = ctx.store.begin().await?;
    let member = memberships::get_view(&mut tx, actor.org_id, membership_id)
        .await
        .map_err(not_found("member"))?;
    if avatars::delete(&mut tx, actor.org_id, membership_id).await? {
        audit::record(
            ctx,
            &mut tx,
            &actor.audit_actor(),
            Change {
                org_id: Some(actor.org_id),
                action: AuditAction::MemberAvatarRemoved,
                target_kind: "membership",
                target_id: membership_id.to_string(),
                details: json!({ "email": member.email }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The image of a member of the actor's organization.
pub async fn get(ctx: &Ctx, actor: &OrgActor, membership_id: Uuid) -> Result<Avatar> {
    let mut db = ctx.store.read().await?;
    avatars::get(&mut db, actor.org_id, membership_id)
        .await
        .map_err(not_found("profile image"))
}

/// The version of the member's image (its hash, also its ETag), if there is one;
/// pages put it in the image's URL so a new image is fetched at once.
pub async fn version(ctx: &Ctx, actor: &OrgActor, membership_id: Uuid) -> Result<Option<String>> {
    let mut db = ctx.store.read().await?;
    Ok(avatars::sha256_of(&mut db, actor.org_id, membership_id).await?)
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn sniffs_images_by_their_bytes_only() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        for bad in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'/>"[..],
            b"<!doctype html><script>alert(1)</script>",
            b"RIFF\x24\0\0\0WAVEfmt ",
            b"\x89PN",
            b"",
        ] {
            assert_eq!(sniff(bad), None, "{bad:?}");
        }
    }
}
