//! The mail queue and the `mailer` as deployed: messages on a real SQS
//! queue (moto's) with the template's redrive policy, delivered by the
//! mailer's handler through real SES v2 (moto's), every request signed as
//! the mailer's IAM user and checked against its statements. The harness
//! plays Lambda's poller (`MailerQueueMapping`) with the function's role,
//! as AWS does: it checks the queue, receives a batch, invokes the
//! handler and deletes what the handler did not report back.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use integration_tests::auth::mail::Email;
use integration_tests::auth::runtime::parse_settings_parameter;
use integration_tests::auth::settings::MailSettings;
use integration_tests::iam::as_function;
use integration_tests::template::template;
use integration_tests::{fresh_tables, moto_config, moto_endpoint};
use serde_json::Value;

/// The template's `MailQueue` property `name` (`RedrivePolicy`, …).
fn queue_property(name: &str) -> serde_yaml_ng::Value {
    template().root["Resources"]["MailQueue"]["Properties"][name].clone()
}

/// The mailer's settings as the stack writes them.
pub(crate) fn mail_settings() -> MailSettings {
    let lines = template().functions[0].deployed_settings(&fresh_tables());
    let lines = parse_settings_parameter(&lines).unwrap();
    let lookup: BTreeMap<String, String> = lines.into_iter().collect();
    MailSettings::from_lookup(&|name| lookup.get(name).cloned()).unwrap()
}

/// A mail queue and its dead-letter queue, made by the admin as the
/// template makes them (redrive after the template's `maxReceiveCount`),
/// but with a visibility timeout of one second, so that a retry comes
/// within the test.
pub(crate) struct Queues {
    pub(crate) sqs: aws_sdk_sqs::Client,
    ses: aws_sdk_sesv2::Client,
    pub(crate) mail: String,
    dead_letter: String,
    max_receives: u64,
}

impl Queues {
    pub(crate) async fn new() -> Self {
        let config = moto_config(&moto_endpoint()).await;
        // Requests sent as the mailer are checked against its statements.
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&config)
                .interceptor(integration_tests::Calls::default())
                .build(),
        );
        let ses = aws_sdk_sesv2::Client::new(&config);
        let prefix = &uuid::Uuid::new_v4().simple().to_string()[..12];
        let dead_letter = sqs
            .create_queue()
            .queue_name(format!("t{prefix}-mail-dlq"))
            .send()
            .await
            .expect("CreateQueue as the admin")
            .queue_url
            .unwrap();
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&dead_letter)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        let redrive = queue_property("RedrivePolicy");
        let max_receives = redrive["maxReceiveCount"].as_u64().unwrap();
        assert!(queue_property("VisibilityTimeout").as_u64().unwrap() >= 6 * 10);
        let policy =
            serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": max_receives});
        let mail = sqs
            .create_queue()
            .queue_name(format!("t{prefix}-mail"))
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
                "1",
            )
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
                policy.to_string(),
            )
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        Queues {
            sqs,
            ses,
            mail,
            dead_letter,
            max_receives,
        }
    }

    /// The operator verifies the sender's domain in SES (moto verifies at
    /// once).
    pub(crate) async fn verify_sender_domain(&self, domain: &str) {
        self.ses
            .create_email_identity()
            .email_identity(domain)
            .send()
            .await
            .expect("CreateEmailIdentity as the admin");
    }

    /// A function queues `body` (as the admin: no function queues mail yet).
    async fn put(&self, body: &str) {
        self.sqs
            .send_message()
            .queue_url(&self.mail)
            .message_body(body)
            .send()
            .await
            .expect("SendMessage");
    }

    /// One round of Lambda's poller, with the mailer's role: a batch of up
    /// to 10 into the handler, then the messages it did not report back
    /// deleted. The ids reported back.
    pub(crate) async fn poll_once(&self, mailer: &mailer::Mailer) -> (usize, Vec<String>) {
        as_function("mailer", async {
            self.sqs
                .get_queue_attributes()
                .queue_url(&self.mail)
                .attribute_names(
                    aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages,
                )
                .send()
                .await
                .expect("GetQueueAttributes as the mailer");
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.mail)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("ReceiveMessage as the mailer");
            let messages = received.messages.unwrap_or_default();
            let mut event = SqsEvent::default();
            for m in &messages {
                let mut record = SqsMessage::default();
                record.message_id = m.message_id.clone();
                record.receipt_handle = m.receipt_handle.clone();
                record.body = m.body.clone();
                event.records.push(record);
            }
            let response = mailer::handler(mailer, event).await;
            let failed: Vec<String> = (response.batch_item_failures.iter())
                .map(|f| f.item_identifier.clone())
                .collect();
            for m in &messages {
                if !failed.contains(m.message_id.as_ref().unwrap()) {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.mail)
                        .receipt_handle(m.receipt_handle.clone().unwrap())
                        .send()
                        .await
                        .expect("DeleteMessage as the mailer");
                }
            }
            (messages.len(), failed)
        })
        .await
    }

    /// The bodies waiting in the dead-letter queue.
    async fn dead_letters(&self) -> Vec<String> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.dead_letter)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        (out.messages.unwrap_or_default().into_iter())
            .filter_map(|m| m.body)
            .collect()
    }
}

/// The mailer with its SES client signing as its own IAM user.
pub(crate) async fn mailer_from(from: &str) -> mailer::Mailer {
    let config = moto_config(&moto_endpoint()).await;
    let ses = aws_sdk_sesv2::Client::from_conf(
        aws_sdk_sesv2::config::Builder::from(&config)
            .interceptor(integration_tests::Calls::default())
            .build(),
    );
    let mut settings = mail_settings();
    settings.default_from_email = from.to_owned();
    mailer::Mailer::new(ses, settings)
}

/// Every email moto's SES sent to `to`: (source, subject, HTML body).
pub(crate) fn sent_to(to: &str) -> Vec<(String, String, String)> {
    // moto builds the dump by walking every service's state while other
    // tests change it, and now and then answers 500 for that: ask again.
    let url = format!("{}/moto-api/data.json", moto_endpoint());
    let mut response = (0..5)
        .find_map(|attempt| {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            ureq::get(&url).call().ok()
        })
        .expect("moto's data");
    let data: Value = response
        .body_mut()
        // A dump of every service's state: the whole suite's, by now.
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .map(|text| serde_json::from_str(&text).expect("JSON"))
        .expect("moto's data");
    (data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter())
    .filter(|m| m["destinations"]["ToAddresses"][0] == to)
    .map(|m| {
        let field = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
        (field("source"), field("subject"), field("body"))
    })
    .collect()
}

pub(crate) fn unique_address() -> String {
    format!(
        "u{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

fn confirmation(to: &str, link: &str) -> Email {
    Email::EmailConfirmation {
        to: to.into(),
        username: "ann".into(),
        activate_url: link.into(),
        expire_days: 3,
    }
}

#[tokio::test]
async fn every_queued_email_is_sent_through_ses_from_the_default_sender() {
    let queues = Queues::new().await;
    let from = mail_settings().default_from_email;
    assert_eq!(from, "webmaster@localhost", "Django's DEFAULT_FROM_EMAIL");
    queues
        .verify_sender_domain(from.split_once('@').unwrap().1)
        .await;
    let to = unique_address();
    let emails = [
        confirmation(&to, "https://app.example/verify-email/k-1"),
        Email::AccountAlreadyExists {
            to: to.clone(),
            email: to.clone(),
            password_reset_url: "https://app.example/password-reset".into(),
        },
        Email::PasswordResetKey {
            to: to.clone(),
            username: "ann".into(),
            password_reset_url: "https://app.example/password-reset/key/1-t".into(),
            expire_minutes: 60,
        },
        Email::EmailChanged {
            to: to.clone(),
            username: "ann".into(),
            from_email: to.clone(),
            to_email: "ann@example.org".into(),
        },
    ];
    for email in &emails {
        queues.put(&email.to_json()).await;
    }
    let mailer = mailer_from(&from).await;
    let (received, failed) = queues.poll_once(&mailer).await;
    assert_eq!((received, failed.len()), (4, 0));
    let sent = sent_to(&to);
    assert_eq!(sent.len(), 4, "{sent:?}");
    for email in &emails {
        let rendered = integration_tests::auth::mail::render(email).unwrap();
        assert!(
            sent.iter().any(|(source, subject, html)| {
                *source == from && *subject == rendered.subject && *html == rendered.html
            }),
            "{} not sent as rendered: {sent:?}",
            email.template()
        );
    }
    // Sent once each: the batch was deleted.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(queues.poll_once(&mailer).await.0, 0);
}

/// A message that cannot be sent is never lost: it is reported back (the
/// rest of its batch is sent and deleted), retried, and after
/// `maxReceiveCount` receives waits in the dead-letter queue.
#[tokio::test]
async fn a_message_that_cannot_be_sent_is_retried_then_dead_lettered_and_the_rest_go() {
    let queues = Queues::new().await;
    let from = mail_settings().default_from_email;
    queues
        .verify_sender_domain(from.split_once('@').unwrap().1)
        .await;
    let (first, second) = (unique_address(), unique_address());
    queues
        .put(&confirmation(&first, "https://app.example/v/1").to_json())
        .await;
    queues
        .put(r#"{"template":"email_confirmation","to":"x@example.com"}"#)
        .await;
    queues
        .put(&confirmation(&second, "https://app.example/v/2").to_json())
        .await;
    let mailer = mailer_from(&from).await;
    let (received, failed) = queues.poll_once(&mailer).await;
    assert_eq!(
        (received, failed.len()),
        (3, 1),
        "only the malformed one is reported back"
    );
    assert_eq!((sent_to(&first).len(), sent_to(&second).len()), (1, 1));
    // Lambda's poller keeps receiving it until SQS moves it.
    let mut receives = 1;
    while receives < 20 {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (received, failed) = queues.poll_once(&mailer).await;
        if received == 0 {
            break;
        }
        assert_eq!((received, failed.len()), (1, 1));
        receives += 1;
    }
    assert_eq!(
        receives as u64, queues.max_receives,
        "tried maxReceiveCount times"
    );
    assert_eq!(
        queues.dead_letters().await,
        [r#"{"template":"email_confirmation","to":"x@example.com"}"#]
    );
    assert_eq!(
        (sent_to(&first).len(), sent_to(&second).len()),
        (1, 1),
        "sent once each"
    );
}

/// SES failing (here: unreachable) is reported back, and the email goes
/// once SES takes it.
#[tokio::test]
async fn an_email_ses_fails_to_take_stays_queued_and_goes_once_ses_is_back() {
    let queues = Queues::new().await;
    let from = mail_settings().default_from_email;
    queues
        .verify_sender_domain(from.split_once('@').unwrap().1)
        .await;
    let to = unique_address();
    queues
        .put(&confirmation(&to, "https://app.example/v/3").to_json())
        .await;
    let down = {
        let config = moto_config(&moto_endpoint()).await;
        let ses = aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(&config)
                .endpoint_url(integration_tests::faults::dead_endpoint())
                .build(),
        );
        mailer::Mailer::new(ses, mail_settings())
    };
    let (received, failed) = queues.poll_once(&down).await;
    assert_eq!((received, failed.len()), (1, 1), "reported back, not lost");
    assert!(sent_to(&to).is_empty());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (received, failed) = queues.poll_once(&mailer_from(&from).await).await;
    assert_eq!((received, failed.len()), (1, 0));
    assert_eq!(sent_to(&to).len(), 1);
}

/// The sample SQS events (`cargo lambda invoke mailer --data-file
/// events/mailer/<file>`): `ok.json`'s one message is sent; `batch.json`'s
/// good message is sent and its malformed one reported back.
#[tokio::test]
async fn the_sample_events_send_their_emails_and_report_back_the_malformed_one() {
    let from = mail_settings().default_from_email;
    Queues::new()
        .await
        .verify_sender_domain(from.split_once('@').unwrap().1)
        .await;
    let dir = integration_tests::workspace().join("events/mailer");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["batch.json", "ok.json"], "an expectation for each");
    for (file, reported_back) in [
        ("ok.json", vec![]),
        ("batch.json", vec!["8d2c9b1e-0c1f-4f4e-9a57-1b2f4c0e5a02"]),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let event: SqsEvent = serde_json::from_str(&text).expect("an SQS event");
        let before = sent_to("ann@example.com").len();
        let mailer = mailer_from(&from).await;
        let response = as_function("mailer", mailer::handler(&mailer, event)).await;
        let failed: Vec<_> = (response.batch_item_failures.iter())
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, reported_back, "{file}");
        assert_eq!(sent_to("ann@example.com").len(), before + 1, "{file}");
    }
}
