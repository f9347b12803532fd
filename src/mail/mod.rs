//! Outgoing mail through lettre: SMTP when `mail.smtp_url` is set, otherwise one
//! `.eml` file per message under `mail.outbox_dir`, so a fresh machine works and
//! tests can read what was sent.

pub mod templates;

use crate::config::MailConfig;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address {0}")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("could not send: {0}")]
    Send(String),
}

/// A message in plain text and HTML.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Mailbox),
    Outbox(AsyncFileTransport<Tokio1Executor>, Mailbox),
}

impl Mailer {
    pub fn from_config(config: &MailConfig) -> Result<Mailer, MailError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|_| MailError::Address(config.from.clone()))?;
        let url = config.smtp_url.expose();
        if url.is_empty() {
            std::fs::create_dir_all(&config.outbox_dir).map_err(|e| {
                MailError::Send(format!("outbox {}: {e}", config.outbox_dir.display()))
            })?;
            Ok(Mailer::Outbox(
                AsyncFileTransport::new(&config.outbox_dir),
                from,
            ))
        } else {
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| MailError::Send(format!("mail.smtp_url: {e}")))?
                .build();
            Ok(Mailer::Smtp(transport, from))
        }
    }

    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailError::Address(mail.to.clone()))?;
        let from = match self {
            Mailer::Smtp(_, f) | Mailer::Outbox(_, f) => f.clone(),
        };
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
            .map_err(|e| MailError::Build(e.to_string()))?;
        match self {
            Mailer::Smtp(t, _) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Send(e.to_string())),
            Mailer::Outbox(t, _) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Send(e.to_string())),
        }
    }
}
