//! The mails invitations send, their text in one place.

use crate::mail::{Mail, html_escape};

/// The invitation itself, from `who`, with its link.
pub(super) fn invitation(to: &str, org_name: &str, who: &str, link: &str) -> Mail {
    Mail {
        to: to.to_string(),
        subject: format!("{who} invited you to {org_name} on Gatehouse"),
        text: format!(
            "{who} invited you to join {org_name}.\n\nAccept the invitation here (valid for 5 days):\n{}\n\n\
             If you did not expect it, you can ignore this message.\n",
            link
        ),
        html: format!(
            "<p>{w} invited you to join <strong>{n}</strong>.</p><p><a href=\"{l}\">Accept the invitation</a> (valid for 5 days).</p>\
             <p>If you did not expect it, you can ignore this message.</p>",
            w = html_escape(who),
            n = html_escape(org_name),
            l = html_escape(link)
        ),
    }
}

/// To an admin: `invited` could not join for want of a seat.
pub(super) fn seat_refused(to: &str, invited: &str, org_name: &str) -> Mail {
    Mail {
        to: to.to_string(),
        subject: format!("{} could not join {}: no free seat", invited, org_name),
        text: format!(
            "{} tried to accept their invitation to {}, but every seat is in use.\n\
             Add seats on the Billing page (or remove someone), then ask them to open the link again.\n",
            invited, org_name
        ),
        html: format!(
            "<p>{} tried to accept their invitation to <strong>{}</strong>, but every seat is in use.</p>\
             <p>Add seats on the Billing page (or remove someone), then ask them to open the link again.</p>",
            html_escape(invited),
            html_escape(org_name)
        ),
    }
}
