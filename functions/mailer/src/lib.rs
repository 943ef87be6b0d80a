//! The `mailer` Lambda: sends the emails the other functions put on the
//! mail queue (SQS), through SES v2, a plain-text and an HTML part each
//! (`auth::mail`). The request path never waits for SES, and no email is
//! lost when SES throttles or fails: a message that was not sent is
//! reported back (SQS's partial batch response), stays on the queue and
//! is retried after its visibility timeout; after `maxReceiveCount`
//! attempts it moves to the dead-letter queue, whose depth raises an
//! alarm (template.yaml's `MailQueue`, `MailDeadLetterQueue`).
//!
//! The log names a message by its SQS id and template, never its link or
//! key.

use auth::accounts::jobs;
use auth::base::time::now;
use auth::mail::{MailError, Queued, Rendered, render};
use auth::settings::{AccountSettings, MailSettings};
use auth::store::{DynamoStore, StoreError};
use auth::tracing;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

/// What the mailer holds for its life: its SES client and settings, and
/// for account jobs the store and the account settings.
pub struct Mailer {
    ses: aws_sdk_sesv2::Client,
    settings: MailSettings,
    accounts: Option<(DynamoStore, AccountSettings)>,
}

/// Why one message was not sent (it is retried, then dead-lettered).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("SES: {0}")]
    Ses(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("an account job, and no store to run it with")]
    NoStore,
}

impl Mailer {
    pub fn new(ses: aws_sdk_sesv2::Client, settings: MailSettings) -> Self {
        Mailer {
            ses,
            settings,
            accounts: None,
        }
    }

    /// The mailer that also runs account jobs, on `store`.
    pub fn with_accounts(mut self, store: DynamoStore, accounts: AccountSettings) -> Self {
        self.accounts = Some((store, accounts));
        self
    }

    /// Runs the queued message `body` (a job: its email, if it yields one)
    /// and sends the email: what was sent (its template), if anything.
    pub async fn deliver(&self, body: &str) -> Result<&'static str, SendError> {
        let email = match Queued::from_json(body)? {
            Queued::Email(email) => email,
            Queued::Job(job) => {
                let (store, accounts) = self.accounts.as_ref().ok_or(SendError::NoStore)?;
                match jobs::run(store, accounts, &job, now()).await? {
                    Some(email) => email,
                    None => return Ok("none"),
                }
            }
        };
        let rendered = render(&email)?;
        self.send(&rendered).await?;
        Ok(email.template())
    }

    async fn send(&self, email: &Rendered) -> Result<(), SendError> {
        let content = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(|e| SendError::Ses(e.to_string()))
        };
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(
                Body::builder()
                    .text(content(&email.text)?)
                    .html(content(&email.html)?)
                    .build(),
            )
            .build();
        self.ses
            .send_email()
            .from_email_address(&self.settings.default_from_email)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| {
                SendError::Ses(aws_sdk_sesv2::error::DisplayErrorContext(e).to_string())
            })?;
        Ok(())
    }
}

/// One batch from the mail queue: every message sent, or reported back in
/// `batchItemFailures` to be retried (the others are deleted).
pub async fn handler(mailer: &Mailer, event: SqsEvent) -> SqsBatchResponse {
    let mut failed = Vec::new();
    for record in event.records {
        let id = record.message_id.unwrap_or_default();
        match mailer
            .deliver(record.body.as_deref().unwrap_or_default())
            .await
        {
            Ok(template) => tracing::info!(message_id = %id, template, "mail sent"),
            Err(e) => {
                tracing::warn!(message_id = %id, error = %e, "mail not sent: SQS retries it");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                failed.push(failure);
            }
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed;
    response
}
