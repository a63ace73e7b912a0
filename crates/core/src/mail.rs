//! Outgoing email through the SMTP server named by `TESSERA_SMTP_URL` (invitations). Without
//! one configured, nothing is ever sent and callers say so.

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// One plain-text email.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The way mail goes out: an SMTP server (or none) and the sender's address.
#[derive(Debug, Clone)]
pub struct Mailer {
    smtp_url: Option<String>,
    from_email: String,
}

impl Mailer {
    /// Mail through `smtp_url` (`smtp://user:pass@host:587?tls=required`, `smtps://...`) from
    /// `from_email`; without a URL nothing is ever sent.
    pub fn new(smtp_url: Option<String>, from_email: String) -> Mailer {
        Mailer {
            smtp_url,
            from_email,
        }
    }

    /// Whether an SMTP server is configured.
    pub fn is_configured(&self) -> bool {
        self.smtp_url.is_some()
    }

    /// Sends every mail over one SMTP connection; the error names the first one that failed.
    pub async fn send(&self, mails: Vec<Mail>) -> Result<(), String> {
        let url = self
            .smtp_url
            .as_deref()
            .ok_or("no SMTP server is configured")?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("the SMTP URL is not usable: {e}"))?
            .build();
        let from: Mailbox = self
            .from_email
            .parse()
            .map_err(|e| format!("FROM_EMAIL is not an address: {e}"))?;
        for mail in mails {
            let to: Mailbox = mail.to.parse().map_err(|e| format!("{}: {e}", mail.to))?;
            let message = Message::builder()
                .from(from.clone())
                .to(to)
                .subject(mail.subject)
                .header(ContentType::TEXT_PLAIN)
                .body(mail.body)
                .map_err(|e| format!("{}: {e}", mail.to))?;
            transport
                .send(message)
                .await
                .map_err(|e| format!("sending to {} failed: {e}", mail.to))?;
        }
        Ok(())
    }
}
