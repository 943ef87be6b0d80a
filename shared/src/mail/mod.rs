//! The emails the service sends: what each says ([`Email`], the message a
//! function puts on the mail queue), and its rendering from the template
//! files in `shared/templates/account/email/` (django-allauth's names:
//! `<name>_subject.txt`, `<name>_message.txt`, `<name>_message.html`),
//! with minijinja (Jinja2, Django-template-like syntax; the HTML part is
//! auto-escaped). The `mailer` function sends them through SES.
//!
//! A message holds a link with a single-use key: it is a secret. It is
//! never logged (only its template name and a hash of its recipient are),
//! and the queue that carries it is encrypted at rest.

use minijinja::Environment;
use serde::{Deserialize, Serialize};

/// One email, as it travels on the mail queue (JSON, the template's name
/// in `template`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case", deny_unknown_fields)]
pub enum Email {
    /// "Please confirm your e-mail address": sign-up, resend, a new address.
    EmailConfirmation {
        to: String,
        username: String,
        activate_url: String,
        expire_days: u64,
    },
    /// Someone signed up with an address that already has an account
    /// (enumeration prevention: the sign-up answers as for a new one).
    AccountAlreadyExists {
        to: String,
        email: String,
        password_reset_url: String,
    },
    /// A password reset link.
    PasswordResetKey {
        to: String,
        username: String,
        password_reset_url: String,
        expire_minutes: u64,
    },
    /// The notice to the old address when the address changes.
    EmailChanged {
        to: String,
        username: String,
        from_email: String,
        to_email: String,
    },
}

impl Email {
    /// The template files' name (django-allauth's).
    pub fn template(&self) -> &'static str {
        match self {
            Email::EmailConfirmation { .. } => "email_confirmation",
            Email::AccountAlreadyExists { .. } => "account_already_exists",
            Email::PasswordResetKey { .. } => "password_reset_key",
            Email::EmailChanged { .. } => "email_changed",
        }
    }

    /// The recipient.
    pub fn to(&self) -> &str {
        match self {
            Email::EmailConfirmation { to, .. }
            | Email::AccountAlreadyExists { to, .. }
            | Email::PasswordResetKey { to, .. }
            | Email::EmailChanged { to, .. } => to,
        }
    }

    /// The message's JSON, for the queue.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an email serialises")
    }

    /// A message from the queue.
    pub fn from_json(body: &str) -> Result<Self, MailError> {
        serde_json::from_str(body).map_err(|e| MailError::Malformed(e.to_string()))
    }
}

/// Work for the mailer whose email needs the store first (a key written,
/// the address's holder looked up): what the functions put on the mail
/// queue, so that a request never does more work, or waits longer, for a
/// known address than for an unknown one. The mailer runs it
/// (`crate::accounts::jobs`) and sends the email it yields, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case", deny_unknown_fields)]
pub enum Job {
    /// A verification link for user `user_id`'s address `email`, if it is
    /// still theirs and unverified (sign-up, an unverified user's login).
    Confirm { user_id: u64, email: String },
    /// A verification link for whoever holds `email`, if unverified
    /// (`registration/resend-email`).
    Resend { email: String },
    /// Someone signed up with `email`, which an account holds: its owner
    /// is told (the sign-up answered as for a new address).
    AccountExists { email: String },
    /// A password reset link for whoever holds `email` (`password/reset`).
    PasswordReset { email: String },
    /// User `user_id` asked for the address `email` (`user` PATCH): a
    /// link that makes it theirs (their old address stays until then), or,
    /// if another account holds it, that account's owner is told.
    ChangeEmail { user_id: u64, email: String },
    /// User `user_id`'s address changed from `from_email` to `to_email`:
    /// the notice to the old address.
    EmailChanged {
        user_id: u64,
        from_email: String,
        to_email: String,
    },
}

/// A message on the mail queue: an email ready to render, or a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queued {
    Email(Email),
    Job(Job),
}

impl Job {
    /// The job's JSON, for the queue.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a job serialises")
    }

    /// Its name, for logs (never its address).
    pub fn name(&self) -> &'static str {
        match self {
            Job::Confirm { .. } => "confirm",
            Job::Resend { .. } => "resend",
            Job::AccountExists { .. } => "account_exists",
            Job::PasswordReset { .. } => "password_reset",
            Job::ChangeEmail { .. } => "change_email",
            Job::EmailChanged { .. } => "email_changed",
        }
    }
}

impl Queued {
    /// A message from the queue: a job (it has `job`) or an email.
    pub fn from_json(body: &str) -> Result<Self, MailError> {
        let value: serde_json::Value =
            serde_json::from_str(body).map_err(|e| MailError::Malformed(e.to_string()))?;
        if value.get("job").is_some() {
            serde_json::from_value(value)
                .map(Queued::Job)
                .map_err(|e| MailError::Malformed(e.to_string()))
        } else {
            Email::from_json(body).map(Queued::Email)
        }
    }
}

/// Where the functions put emails and jobs (`EMAIL_BACKEND`,
/// `MAIL_QUEUE_URL`).
#[derive(Clone, Default)]
pub enum Outbox {
    /// The mail queue (SQS): the `mailer` sends.
    Queue {
        sqs: aws_sdk_sqs::Client,
        url: String,
    },
    /// `EMAIL_BACKEND=console`: the caller runs the job and prints the
    /// email to the log.
    Console,
    /// `ses` without a queue: sending fails (the request answers 503).
    #[default]
    Unconfigured,
}

impl Outbox {
    /// The outbox the settings name, with `sqs` for the queue.
    pub fn from_settings(
        settings: &crate::settings::MailSettings,
        sqs: Option<aws_sdk_sqs::Client>,
    ) -> Self {
        use crate::settings::EmailBackend;
        match (settings.email_backend, &settings.mail_queue_url, sqs) {
            (EmailBackend::Console, _, _) => Outbox::Console,
            (EmailBackend::Ses, Some(url), Some(sqs)) => Outbox::Queue {
                sqs,
                url: url.clone(),
            },
            (EmailBackend::Ses, _, _) => Outbox::Unconfigured,
        }
    }

    /// Whether emails can go out (a queue, or the console).
    pub fn is_configured(&self) -> bool {
        !matches!(self, Outbox::Unconfigured)
    }

    /// Puts `body` (a job's or an email's JSON) on the queue: one
    /// `SendMessage`. Only for [`Outbox::Queue`].
    pub async fn enqueue(&self, body: String) -> Result<(), MailError> {
        match self {
            Outbox::Queue { sqs, url } => {
                sqs.send_message()
                    .queue_url(url)
                    .message_body(body)
                    .send()
                    .await
                    .map_err(|e| {
                        MailError::Queue(aws_sdk_sqs::error::DisplayErrorContext(e).to_string())
                    })?;
                Ok(())
            }
            Outbox::Console => Err(MailError::Queue("the console backend has no queue".into())),
            Outbox::Unconfigured => Err(MailError::Queue(
                "EMAIL_BACKEND=ses without MAIL_QUEUE_URL".into(),
            )),
        }
    }
}

/// An email ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A queue message that is not an [`Email`] (never retried into
    /// success: it ends in the dead-letter queue, which alarms).
    #[error("malformed mail message: {0}")]
    Malformed(String),
    /// The queue did not take a message (the request answers 503).
    #[error("mail queue: {0}")]
    Queue(String),
    #[error("template {0}: {1}")]
    Template(&'static str, String),
}

macro_rules! templates {
    ($($name:literal),+) => {
        &[$(
            (concat!($name, "_subject.txt"), include_str!(concat!("../../templates/account/email/", $name, "_subject.txt"))),
            (concat!($name, "_message.txt"), include_str!(concat!("../../templates/account/email/", $name, "_message.txt"))),
            (concat!($name, "_message.html"), include_str!(concat!("../../templates/account/email/", $name, "_message.html"))),
        )+]
    };
}

/// Every template file, by name.
const TEMPLATES: &[(&str, &str)] = templates!(
    "email_confirmation",
    "account_already_exists",
    "password_reset_key",
    "email_changed"
);

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .expect("the email templates parse (a unit test renders each)");
    }
    env
}

/// `email` rendered: its subject (one line), plain-text and HTML parts.
pub fn render(email: &Email) -> Result<Rendered, MailError> {
    static ENV: std::sync::LazyLock<Environment<'static>> = std::sync::LazyLock::new(environment);
    let name = email.template();
    let part = |suffix: &str| {
        let file = format!("{name}_{suffix}");
        ENV.get_template(&file)
            .and_then(|t| t.render(email))
            .map_err(|e| MailError::Template(name, e.to_string()))
    };
    let subject = part("subject.txt")?;
    Ok(Rendered {
        to: email.to().to_owned(),
        subject: subject.lines().next().unwrap_or_default().trim().to_owned(),
        text: part("message.txt")?,
        html: part("message.html")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_email() -> Vec<Email> {
        vec![
            Email::EmailConfirmation {
                to: "ann@example.com".into(),
                username: "ann".into(),
                activate_url: "https://app.example/verify?key=k1".into(),
                expire_days: 3,
            },
            Email::AccountAlreadyExists {
                to: "ann@example.com".into(),
                email: "ann@example.com".into(),
                password_reset_url: "https://app.example/reset".into(),
            },
            Email::PasswordResetKey {
                to: "ann@example.com".into(),
                username: "ann".into(),
                password_reset_url: "https://app.example/reset?uid=1&token=t".into(),
                expire_minutes: 60,
            },
            Email::EmailChanged {
                to: "ann@example.com".into(),
                username: "ann".into(),
                from_email: "ann@example.com".into(),
                to_email: "ann@example.org".into(),
            },
        ]
    }

    #[test]
    fn every_email_renders_a_subject_a_text_and_an_html_part() {
        for email in every_email() {
            let r = render(&email).unwrap();
            assert!(!r.subject.is_empty() && !r.subject.contains('\n'), "{r:?}");
            assert!(r.text.starts_with("Hello"), "{r:?}");
            assert!(r.html.contains("<p>Hello"), "{r:?}");
            assert_eq!(r.to, "ann@example.com");
            assert_eq!(Email::from_json(&email.to_json()).unwrap(), email);
        }
    }

    #[test]
    fn the_link_is_in_both_parts_and_html_is_escaped() {
        let r = render(&Email::PasswordResetKey {
            to: "a@example.com".into(),
            username: "<b>ann</b>".into(),
            password_reset_url: "https://app.example/reset?uid=1&token=t".into(),
            expire_minutes: 60,
        })
        .unwrap();
        assert!(r.text.contains("https://app.example/reset?uid=1&token=t"));
        assert!(r.text.contains("Hello <b>ann</b>,"));
        // Escaped in the attribute (minijinja also writes `/` as `&#x2f;`),
        // which browsers and mail clients decode.
        assert!(r.html.contains("reset?uid=1&amp;token=t\""), "{}", r.html);
        assert!(r.html.contains("&lt;b&gt;ann&lt;&#x2f;b&gt;"), "{}", r.html);
        assert!(r.text.contains("60 minutes"));
    }

    #[test]
    fn a_message_not_an_email_is_malformed() {
        for body in [
            "",
            "{}",
            r#"{"template":"nope","to":"a@b"}"#,
            r#"{"template":"email_changed","to":"a@b"}"#,
            r#"{"template":"email_changed","to":"a","username":"u","from_email":"f","to_email":"t","x":1}"#,
        ] {
            assert!(
                matches!(Email::from_json(body), Err(MailError::Malformed(_))),
                "{body}"
            );
        }
    }
}
