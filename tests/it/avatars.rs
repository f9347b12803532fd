//! Profile images: admins upload (a person may upload their own), the type is judged
//! by the bytes, the size is bounded, and the image is served only to members of the
//! organization with headers that keep it an image.

use crate::account::{other_org, page};
use crate::auth::csrf_of;
use crate::backend_tests;
use crate::harness::TestApp;
use crate::orgs::{Person, add_member, admin, org_path};
use reqwest::StatusCode;
use serde_json::Value;

backend_tests!(
    admins_upload_images_judged_by_their_bytes,
    images_are_bounded_in_size,
    images_are_served_safely_to_members_of_the_organization_only,
    members_change_only_their_own_image
);

/// A tiny but real PNG (1×1 pixel).
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\x04\0\x09\xfb\x03\xfd\xe3U\xf2\x9c\0\0\0\0IEND\xaeB`\x82";
const GIF: &[u8] = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;";

/// Posts the profile's upload form (multipart) with a file of the given name and type.
pub async fn upload(
    p: &Person,
    path: &str,
    csrf: &str,
    (file_name, content_type, bytes): (&str, &str, &[u8]),
) -> reqwest::Response {
    let boundary = "gatehouse-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{file_name}\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    p.client
        .post(format!("{}{path}/avatar", p.base))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn put_raw(p: &Person, path: &str, content_type: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let r = p
        .client
        .put(format!("{}{path}", p.base))
        .header("Content-Type", content_type)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// The profile page's image URL (it carries the image's version).
fn image_src(html: &str) -> String {
    let at = html.find("id=\"avatar\" src=\"").expect("an image") + 17;
    let src = &html[at..at + html[at..].find('"').unwrap()];
    assert!(src.contains("/avatar?v="), "{src}");
    src.to_string()
}

/// The bootstrap admin's membership id.
pub(crate) async fn admin_membership(app: &TestApp, admin: &Person) -> String {
    let (_, list) = admin.call("GET", &org_path(app, "/members"), None).await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == app.admin_id.to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn admins_upload_images_judged_by_their_bytes(app: TestApp) {
    let admin = admin(&app).await;
    let (id, _) = add_member(&app, &admin, "mia@acme.test").await;
    let profile = format!("/orgs/{}/members/{id}", app.org_id);
    let (_, html) = page(&admin, &profile).await;
    assert!(html.contains("id=\"avatar-form\"") && !html.contains("id=\"avatar\""));
    // Name, email and User Since are shown, never editable.
    assert!(html.contains("mia@acme.test") && html.contains("User since"));
    for field in [
        "name=\"email\"",
        "name=\"display_name\"",
        "name=\"name\"",
        "name=\"since\"",
    ] {
        assert!(!html.contains(field), "no {field} input on the profile");
    }

    // A PNG named .txt and sent as text/plain is a PNG.
    let r = upload(
        &admin,
        &profile,
        &csrf_of(&html),
        ("me.txt", "text/plain", PNG),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .client
        .get(format!("{}{profile}/avatar", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap(), PNG);
    let (_, html) = page(&admin, &profile).await;
    assert!(html.contains("id=\"avatar\"") && html.contains("id=\"avatar-remove\""));
    let png_src = image_src(&html);

    // HTML and SVG are refused whatever they claim; the form comes back with why.
    for (name, body) in [
        ("x.png", &b"<!doctype html><script>alert(1)</script>"[..]),
        (
            "x.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
        ),
    ] {
        let r = upload(&admin, &profile, &csrf_of(&html), (name, "image/png", body)).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{name}");
        let text = r.text().await.unwrap();
        assert!(
            text.contains("must be a PNG, JPEG, GIF or WebP")
                && text.contains("id=\"avatar-form\"")
        );
        let api = org_path(&app, &format!("/members/{id}/avatar"));
        let (s, v) = put_raw(&admin, &api, "image/png", body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    }
    let r = admin
        .client
        .get(format!("{}{profile}/avatar", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.bytes().await.unwrap(),
        PNG,
        "the refused uploads changed nothing"
    );

    // The API replaces it (GIF); a missing file re-shows the form; removal works.
    let api = org_path(&app, &format!("/members/{id}/avatar"));
    let (s, _) = put_raw(&admin, &api, "application/octet-stream", GIF).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let r = admin
        .client
        .get(format!("{}{profile}/avatar", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/gif");
    let (_, html) = page(&admin, &profile).await;
    assert_ne!(image_src(&html), png_src, "a new image gets a new URL");
    let r = admin
        .client
        .post(format!("{}{profile}/avatar/remove", app.base))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .client
        .get(format!("{}{profile}/avatar", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (s, _) = admin.call("DELETE", &api, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "removing none is fine");

    let (_, events) = admin
        .call("GET", &org_path(&app, "/audit-events"), None)
        .await;
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "member.avatar_set")
            .count(),
        2
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "member.avatar_removed")
            .count(),
        1
    );
}

async fn images_are_bounded_in_size(app: TestApp) {
    let admin = admin(&app).await;
    let id = admin_membership(&app, &admin).await;
    let limit = app.ctx.config.server.max_avatar_bytes;
    assert_eq!(limit, 512 * 1024, "the documented default");
    let mut big = PNG.to_vec();
    big.resize(limit + 1, 0);
    let api = org_path(&app, &format!("/members/{id}/avatar"));
    let (s, v) = put_raw(&admin, &api, "image/png", &big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 512 KiB")
    );
    let profile = format!("/orgs/{}/members/{id}", app.org_id);
    let (_, html) = page(&admin, &profile).await;
    let r = upload(
        &admin,
        &profile,
        &csrf_of(&html),
        ("big.png", "image/png", &big),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let text = r.text().await.unwrap();
    assert!(text.contains("too large") && text.contains("id=\"avatar-form\""));
    // Exactly at the limit is fine.
    big.truncate(limit);
    let (s, _) = put_raw(&admin, &api, "image/png", &big).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

async fn images_are_served_safely_to_members_of_the_organization_only(app: TestApp) {
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mia@acme.test").await;
    let id = admin_membership(&app, &admin).await;
    let api = org_path(&app, &format!("/members/{id}/avatar"));
    let (s, _) = put_raw(&admin, &api, "image/png", PNG).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let served = format!("{}/orgs/{}/members/{id}/avatar", app.base, app.org_id);
    let r = member.client.get(&served).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "members of the organization see it"
    );
    let h = r.headers();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], "default-src 'none'; sandbox");
    assert_eq!(h["content-disposition"], "inline");
    assert_eq!(h["cache-control"], "private, max-age=300");
    let etag = h["etag"].to_str().unwrap().to_string();
    let r = member
        .client
        .get(&served)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    let (_, eve) = other_org(&app).await;
    let r = eve.client.get(&served).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "other organizations see nothing"
    );
    let r = Person::new(&app).client.get(&served).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "signed-out people sign in first"
    );
    let (s, _) = put_raw(&eve, &api, "image/png", PNG).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn members_change_only_their_own_image(app: TestApp) {
    let admin = admin(&app).await;
    let (mia_id, mia) = add_member(&app, &admin, "mia@acme.test").await;
    let admin_id = admin_membership(&app, &admin).await;
    let theirs = org_path(&app, &format!("/members/{admin_id}/avatar"));
    let (s, v) = put_raw(&mia, &theirs, "image/png", PNG).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = mia.call("DELETE", &theirs, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, html) = page(&mia, &format!("/orgs/{}/members/{admin_id}", app.org_id)).await;
    assert!(
        !html.contains("id=\"avatar-form\""),
        "no upload form on others' profiles"
    );

    let own = format!("/orgs/{}/members/{mia_id}", app.org_id);
    let (_, html) = page(&mia, &own).await;
    assert!(html.contains("id=\"avatar-form\""));
    let r = upload(&mia, &own, &csrf_of(&html), ("me.png", "image/png", PNG)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, events) = admin
        .call(
            "GET",
            &org_path(&app, "/audit-events?action=member.avatar_set"),
            None,
        )
        .await;
    assert_eq!(events[0]["actor_name"], "mia@acme.test");
}
