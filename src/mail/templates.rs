//! The mails Gatehouse sends, as askama templates (`templates/mail/`): each one an
//! HTML body and its plain-text alternative, rendered from the same fields. HTML
//! escaping comes from the `.html` templates, so no body is built by hand.

use super::{Mail, MailError};
use askama::Template;

/// An invitation to join an organization.
pub struct Invitation<'a> {
    pub inviter: &'a str,
    pub org_name: &'a str,
    pub link: &'a str,
}

/// A single-use link to set a new password.
pub struct PasswordReset<'a> {
    pub link: &'a str,
    pub minutes: u32,
}

/// Instead of a reset link: the person's organization requires single sign-on.
pub struct SsoRequired<'a> {
    pub org_name: &'a str,
    pub domain: &'a str,
    pub sign_in_url: &'a str,
}

/// To an admin: an invited person could not join because every seat is in use.
pub struct NoFreeSeat<'a> {
    pub invitee: &'a str,
    pub org_name: &'a str,
}

/// To an admin: a webhook endpoint failed for too long and was disabled.
pub struct WebhookDisabled<'a> {
    pub url: &'a str,
    pub org_name: &'a str,
    pub reason: &'a str,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/webhook_disabled.txt")]
struct WebhookDisabledText<'a> {
    m: &'a WebhookDisabled<'a>,
}

#[derive(Template)]
#[template(path = "mail/webhook_disabled.html")]
struct WebhookDisabledHtml<'a> {
    m: &'a WebhookDisabled<'a>,
}

impl WebhookDisabled<'_> {
    pub fn to(&self, address: &str) -> Result<Mail, MailError> {
        mail(
            address,
            format!("Webhook endpoint of {} disabled", self.org_name),
            &WebhookDisabledText { m: self },
            &WebhookDisabledHtml { m: self },
        )
    }
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    m: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    m: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct PasswordResetText<'a> {
    m: &'a PasswordReset<'a>,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct PasswordResetHtml<'a> {
    m: &'a PasswordReset<'a>,
}

#[derive(Template)]
#[template(path = "mail/sso_required.txt")]
struct SsoRequiredText<'a> {
    m: &'a SsoRequired<'a>,
}

#[derive(Template)]
#[template(path = "mail/sso_required.html")]
struct SsoRequiredHtml<'a> {
    m: &'a SsoRequired<'a>,
}

#[derive(Template)]
#[template(path = "mail/no_free_seat.txt")]
struct NoFreeSeatText<'a> {
    m: &'a NoFreeSeat<'a>,
}

#[derive(Template)]
#[template(path = "mail/no_free_seat.html")]
struct NoFreeSeatHtml<'a> {
    m: &'a NoFreeSeat<'a>,
}

fn mail(
    to: &str,
    subject: String,
    text: &impl Template,
    html: &impl Template,
) -> Result<Mail, MailError> {
    let render = |t: &dyn askama::DynTemplate| {
        t.dyn_render()
            .map_err(|e| MailError::Build(format!("template: {e}")))
    };
    Ok(Mail {
        to: to.to_string(),
        subject,
        text: render(text)?,
        html: render(html)?,
    })
}

impl Invitation<'_> {
    pub fn to(&self, address: &str) -> Result<Mail, MailError> {
        let subject = format!(
            "{} invited you to {} on Gatehouse",
            self.inviter, self.org_name
        );
        mail(
            address,
            subject,
            &InvitationText { m: self },
            &InvitationHtml { m: self },
        )
    }
}

impl PasswordReset<'_> {
    pub fn to(&self, address: &str) -> Result<Mail, MailError> {
        mail(
            address,
            "Reset your Gatehouse password".into(),
            &PasswordResetText { m: self },
            &PasswordResetHtml { m: self },
        )
    }
}

impl SsoRequired<'_> {
    pub fn to(&self, address: &str) -> Result<Mail, MailError> {
        mail(
            address,
            format!("{} signs you in with single sign-on", self.org_name),
            &SsoRequiredText { m: self },
            &SsoRequiredHtml { m: self },
        )
    }
}

impl NoFreeSeat<'_> {
    pub fn to(&self, address: &str) -> Result<Mail, MailError> {
        let subject = format!(
            "{} could not join {}: no free seat",
            self.invitee, self.org_name
        );
        mail(
            address,
            subject,
            &NoFreeSeatText { m: self },
            &NoFreeSeatHtml { m: self },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let m = Invitation {
            inviter: "Ann <ann@x.test>",
            org_name: "R&D",
            link: "https://gh.test/invite/abc?x=1&y=2",
        }
        .to("bob@x.test")
        .unwrap();
        assert_eq!(
            m.subject,
            "Ann <ann@x.test> invited you to R&D on Gatehouse"
        );
        assert!(m.text.contains("Ann <ann@x.test> invited you to join R&D."));
        assert!(m.text.contains("\nhttps://gh.test/invite/abc?x=1&y=2\n"));
        assert!(
            m.html.contains("Ann &#60;ann@x.test&#62;")
                || m.html.contains("Ann &lt;ann@x.test&gt;"),
            "{}",
            m.html
        );
        assert!(
            m.html.contains("<strong>R&#38;D</strong>")
                || m.html.contains("<strong>R&amp;D</strong>"),
            "{}",
            m.html
        );
        assert!(!m.html.contains("<ann@"));
    }

    #[test]
    fn reset_mail_names_the_lifetime() {
        let m = PasswordReset {
            link: "https://gh.test/auth/reset/t",
            minutes: 60,
        }
        .to("a@x.test")
        .unwrap();
        assert!(
            m.text
                .contains("for 60 minutes):\nhttps://gh.test/auth/reset/t\n")
        );
        assert!(
            m.html.contains("href=\"https://gh.test/auth/reset/t\""),
            "{}",
            m.html
        );
    }
}
