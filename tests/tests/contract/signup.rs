//! Self-service accounts: sign-up and email verification
//! (`registration`, `registration/verify-email`,
//! `registration/resend-email`), and the login of a user whose address is
//! not verified. Emails go through a real SQS queue and the mailer's
//! handler to moto's SES, every request signed as its function.

use integration_tests::auth::accounts::jobs;
use integration_tests::auth::mail::{Job, Outbox};
use integration_tests::auth::store::{UserAdmin, UserStore};
use integration_tests::{TestApp, spawn_app_with};

use std::sync::{Arc, Mutex};

use crate::helpers::*;
use crate::mail::{Queues, mail_settings, unique_address};

pub const SENT: &str = r#"{"detail":"Verification e-mail sent."}"#;
pub const NOT_VERIFIED: &str =
    r#"{"detail":"E-mail is not verified.","code":"email_not_verified"}"#;
const PASSWORD: &str = "a long and new passphrase";

/// An app with accounts on (sign-up open, both links' pages set), its
/// mail queue and its mailer.
pub struct Accounts {
    pub t: TestApp,
    queues: Queues,
    mailer: mailer::Mailer,
    sent: Outgoing,
}

/// What the mailer's SES client sends (SES v2 `SendEmail` bodies): the
/// emails as SES received them (moto's own record of them is one dump of
/// every service's state, too big to read per test).
#[derive(Clone, Debug, Default)]
struct Outgoing(Arc<Mutex<Vec<Value>>>);

impl aws_sdk_sesv2::config::Intercept for Outgoing {
    fn name(&self) -> &'static str {
        "Outgoing"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_sesv2::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_sesv2::config::RuntimeComponents,
        _cfg: &mut aws_sdk_sesv2::config::ConfigBag,
    ) -> Result<(), aws_sdk_sesv2::error::BoxError> {
        let request = context.request();
        if request.uri().ends_with("/v2/email/outbound-emails")
            && let Some(body) = request.body().bytes()
        {
            self.0.lock().unwrap().push(serde_json::from_slice(body)?);
        }
        Ok(())
    }
}

impl Accounts {
    pub async fn new(vars: &[(&str, &str)]) -> Self {
        let queues = Queues::new().await;
        queues.verify_sender_domain("localhost").await;
        let mut all = ACCOUNTS_ON.to_vec();
        all.push(("MAIL_QUEUE_URL", queues.mail.as_str()));
        all.retain(|(name, _)| !vars.iter().any(|(n, _)| n == name));
        all.extend_from_slice(vars);
        let TestApp {
            app,
            alice,
            bob,
            calls,
        } = spawn_app_with(&all).await;
        let outbox = Outbox::Queue {
            sqs: queues.sqs.clone(),
            url: queues.mail.clone(),
        };
        let t = TestApp {
            app: app.with_outbox(outbox),
            alice,
            bob,
            calls,
        };
        let sent = Outgoing::default();
        let config = integration_tests::moto_config(&integration_tests::moto_endpoint()).await;
        let ses = aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(&config)
                .interceptor(integration_tests::Calls::default())
                .interceptor(sent.clone())
                .build(),
        );
        let mailer = mailer::Mailer::new(ses, mail_settings())
            .with_accounts(t.app.store.clone(), t.app.settings.accounts.clone());
        Accounts {
            t,
            queues,
            mailer,
            sent,
        }
    }

    /// Lambda's poller with the mailer until the queue is empty.
    pub async fn deliver(&self) {
        while self.queues.poll_once(&self.mailer).await.0 > 0 {}
    }

    /// The links in the emails sent to `to`, oldest first, with their subjects.
    pub async fn links(&self, to: &str) -> Vec<(String, String)> {
        self.deliver().await;
        let sent = self.sent.0.lock().unwrap().clone();
        (sent.iter())
            .filter(|m| m["Destination"]["ToAddresses"][0] == to)
            .map(|m| {
                let message = &m["Content"]["Simple"];
                let text = |v: &Value| v["Data"].as_str().unwrap_or_default().to_owned();
                (
                    text(&message["Subject"]),
                    link_in(&text(&message["Body"]["Html"])),
                )
            })
            .collect()
    }

    /// Runs `job` now (as the mailer would) and returns the link it sent.
    pub async fn mint(&self, job: Job, at: i64) -> Option<String> {
        let email = jobs::run(&self.t.app.store, &self.t.app.settings.accounts, &job, at)
            .await
            .unwrap()?;
        let rendered = integration_tests::auth::mail::render(&email).unwrap();
        Some(link_in(&rendered.html))
    }
}

/// The first `href` of an HTML part, unescaped.
pub fn link_in(html: &str) -> String {
    let start = html.find("href=\"").map(|i| i + 6).unwrap_or(0);
    let end = start + html[start..].find('"').unwrap_or(0);
    html[start..end]
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&amp;", "&")
}

/// The value after `name=` in a link's query.
pub fn query(link: &str, name: &str) -> String {
    let (_, q) = link.split_once('?').expect("a query");
    q.split('&')
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} in {link}"))
        .to_owned()
}

pub fn sign_up(username: &str, email: &str) -> Req {
    Req::post(REGISTRATION).json(&json!({
        "username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD,
    }))
}

fn login(username: &str, password: &str) -> Req {
    Req::post(LOGIN).json(&json!({"username": username, "password": password}))
}

pub fn verify(key: &str) -> Req {
    Req::post(VERIFY_EMAIL).json(&json!({ "key": key }))
}

#[tokio::test]
async fn sign_up_sends_a_link_that_verifies_once_and_then_the_user_logs_in() {
    let a = Accounts::new(&[]).await;
    let email = unique_address();
    let r = call!(registration, a.t, sign_up("newcomer", &email));
    assert_eq!((r.status, r.body.as_str()), (201, SENT));

    // Before verifying: the right password is refused, a wrong one as ever.
    let r = call!(login, a.t, login("newcomer", PASSWORD));
    assert_eq!((r.status, r.body.as_str()), (403, NOT_VERIFIED));
    let r = call!(login, a.t, login("newcomer", "not the password at all"));
    assert_eq!((r.status, r.body.as_str()), (403, ""));

    // One email: the login's fresh link was within a minute of the first.
    let links = a.links(&email).await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].0, "Please confirm your e-mail address");
    let key = query(&links[0].1, "key");
    assert!(
        links[0]
            .1
            .starts_with("https://app.example.test/verify-email?key=")
    );

    let r = call!(registration, a.t, verify(&key));
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"detail":"ok"}"#));
    let r = call!(registration, a.t, verify(&key));
    assert_eq!(
        (r.status, r.body.as_str()),
        (404, r#"{"detail":"Not found."}"#)
    );
    let r = call!(login, a.t, login("newcomer", PASSWORD));
    assert_eq!(r.status, 200, "{}", r.body);
    let user = a.t.app.store.user_by_email(&email).await.unwrap().unwrap();
    assert!(user.email_verified && user.username == "newcomer");
}

#[tokio::test]
async fn a_taken_address_answers_as_a_new_one_and_its_owner_is_told() {
    let a = Accounts::new(&[]).await;
    let email = unique_address();
    let r = call!(registration, a.t, sign_up("first", &email));
    assert_eq!((r.status, r.body.as_str()), (201, SENT));
    let r = call!(registration, a.t, sign_up("second", &email.to_uppercase()));
    assert_eq!((r.status, r.body.as_str()), (201, SENT));
    assert!(
        a.t.app
            .store
            .user_by_username("second")
            .await
            .unwrap()
            .is_none()
    );
    // The first's link went; the second email is within the minute's limit.
    let links = a.links(&email).await;
    assert_eq!(links.len(), 1, "{links:?}");

    // Later (the limit past): the owner is told, with no key in the link.
    let a = Accounts::new(&[]).await;
    let email = unique_address();
    a.t.app
        .store
        .create_user_with_email("owner", "x", &email, true)
        .await
        .unwrap();
    let r = call!(registration, a.t, sign_up("intruder", &email));
    assert_eq!((r.status, r.body.as_str()), (201, SENT));
    let links = a.links(&email).await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].0, "Account already exists");
    assert_eq!(links[0].1, "https://app.example.test/");
}

#[tokio::test]
async fn without_enumeration_prevention_a_taken_address_is_a_field_error() {
    let a = Accounts::new(&[("ACCOUNT_PREVENT_ENUMERATION", "false")]).await;
    let email = unique_address();
    a.t.app
        .store
        .create_user_with_email("owner", "x", &email, true)
        .await
        .unwrap();
    let r = call!(registration, a.t, sign_up("intruder", &email));
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"email":["A user is already registered with this e-mail address."]}"#
        )
    );
}

#[tokio::test]
async fn a_taken_username_is_a_visible_error_and_bad_fields_are_field_errors() {
    let a = Accounts::new(&[]).await;
    let r = call!(registration, a.t, sign_up("alice", &unique_address()));
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"username":["A user with that username already exists."]}"#
        )
    );
    let cases = [
        (
            json!({"username": "n1", "email": unique_address(), "password1": PASSWORD, "password2": "something else"}),
            r#"{"password2":["The two password fields didn't match."]}"#,
        ),
        (
            json!({"username": "n2", "email": unique_address(), "password1": "password", "password2": "password"}),
            r#"{"password1":["This password is too common."]}"#,
        ),
        (
            json!({"username": "n3", "email": "not an address", "password1": PASSWORD, "password2": PASSWORD}),
            r#"{"email":["Enter a valid email address."]}"#,
        ),
        (
            json!({"username": "bad name!", "email": unique_address(), "password1": PASSWORD, "password2": PASSWORD}),
            r#"{"username":["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."]}"#,
        ),
        (
            json!({"email": unique_address(), "password1": PASSWORD}),
            r#"{"username":["This field is required."],"password2":["This field is required."]}"#,
        ),
    ];
    for (body, expected) in cases {
        let r = call!(registration, a.t, Req::post(REGISTRATION).json(&body));
        assert_eq!((r.status, r.body.as_str()), (400, expected), "{body}");
    }
    for name in ["n1", "n2", "n3", "bad name!"] {
        assert!(
            a.t.app
                .store
                .user_by_username(name)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn sign_up_is_closed_by_default() {
    let t = integration_tests::spawn_app().await;
    let r = call!(registration, t, sign_up("newcomer", &unique_address()));
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            403,
            r#"{"detail":"You do not have permission to perform this action."}"#
        )
    );
    assert!(
        t.app
            .store
            .user_by_username("newcomer")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn resend_answers_alike_for_any_address_and_mails_only_an_unverified_holder() {
    let a = Accounts::new(&[]).await;
    let (unverified, verified, unknown) = (unique_address(), unique_address(), unique_address());
    let store = &a.t.app.store;
    store
        .create_user_with_email("u1", "x", &unverified, false)
        .await
        .unwrap();
    store
        .create_user_with_email("u2", "x", &verified, true)
        .await
        .unwrap();
    for address in [&unverified, &verified, &unknown] {
        let r = call!(
            registration,
            a.t,
            Req::post(RESEND_EMAIL).json(&json!({"email": address}))
        );
        assert_eq!((r.status, r.body.as_str()), (200, r#"{"detail":"ok"}"#));
    }
    assert_eq!(a.links(&unverified).await.len(), 1);
    assert!(a.links(&verified).await.is_empty());
    assert!(a.links(&unknown).await.is_empty());
    // At most one email a minute per recipient.
    let r = call!(
        registration,
        a.t,
        Req::post(RESEND_EMAIL).json(&json!({"email": unverified}))
    );
    assert_eq!(r.status, 200);
    assert_eq!(a.links(&unverified).await.len(), 1);
}

#[tokio::test]
async fn an_expired_or_unknown_key_is_not_found() {
    let a = Accounts::new(&[]).await;
    let email = unique_address();
    let user =
        a.t.app
            .store
            .create_user_with_email("late", "x", &email, false)
            .await
            .unwrap();
    let job = Job::Confirm {
        user_id: user.id,
        email: email.clone(),
    };
    let link = a.mint(job, now() - 3 * 86_400 - 1).await.unwrap();
    for key in [query(&link, "key"), "nope".into()] {
        let r = call!(registration, a.t, verify(&key));
        assert_eq!(
            (r.status, r.body.as_str()),
            (404, r#"{"detail":"Not found."}"#)
        );
    }
    let user = a.t.app.store.user_by_id(user.id).await.unwrap().unwrap();
    assert!(!user.email_verified);
}

#[tokio::test]
async fn with_verification_none_sign_up_logs_the_user_in() {
    let a = Accounts::new(&[("ACCOUNT_EMAIL_VERIFICATION", "none")]).await;
    let r = call!(registration, a.t, sign_up("quick", &unique_address()));
    assert_eq!(r.status, 201, "{}", r.body);
    let body = r.json();
    assert!(
        body["access"].is_string() && body["refresh"].is_string(),
        "{body}"
    );
    let r = call!(login, a.t, login("quick", PASSWORD));
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn every_password_login_refuses_an_unverified_user_and_sends_a_fresh_link() {
    let a = Accounts::new(&[]).await;
    let mut addresses = Vec::new();
    for (i, path) in [LOGIN, JWT_LOGIN, OBTAIN].into_iter().enumerate() {
        let email = unique_address();
        let name = format!("unverified{i}");
        let hash = integration_tests::password_hash(PASSWORD);
        a.t.app
            .store
            .create_user_with_email(&name, &hash, &email, false)
            .await
            .unwrap();
        let route = Route::at(path);
        let req = Req::post(path).json(&json!({"username": name, "password": PASSWORD}));
        let r = Resp::from_response(route.invoke(&a.t.app, req.build()).await);
        assert_eq!((r.status, r.body.as_str()), (403, NOT_VERIFIED), "{path}");
        addresses.push(email);
    }
    for email in addresses {
        let links = a.links(&email).await;
        assert_eq!(links.len(), 1, "{email}: {links:?}");
        let r = call!(registration, a.t, verify(&query(&links[0].1, "key")));
        assert_eq!(r.status, 200);
    }
}
