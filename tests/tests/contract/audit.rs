//! The audit trail: every kind of security event, caused by a request as
//! an attacker or a user would, read back as the JSON lines a function
//! writes (`LogFormat: JSON`, the subscriber the runtime installs) — the
//! event's name where the template's metric filters look for it, the
//! function and the client address from the request's span, who and why —
//! and never a password, token, cookie or session key anywhere in the log.

use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex};

use integration_tests::auth::base::audit::Event;
use integration_tests::auth::runtime::json_logs;
use integration_tests::auth::store::{UserChange, UserStore};
use integration_tests::auth::tracing::Dispatch;
use integration_tests::auth::tracing::instrument::WithSubscriber;
use integration_tests::auth::tracing::level_filters::LevelFilter;
use integration_tests::{BOB_PASSWORD, Resp, TestApp};

use crate::helpers::*;

/// A log sink shared by the subscriber and the test.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs requests with a function's JSON logging into one buffer.
struct Trail {
    sink: Sink,
    /// The one subscriber (a function's JSON logs) every request of the
    /// trail runs under.
    logs: Dispatch,
    /// Every log line so far, audit or not, at the most verbose level.
    all: String,
    /// Every credential the requests carried or got back.
    secrets: Vec<String>,
}

impl Trail {
    /// A trail, its subscriber alive from here to the end, and every
    /// callsite it reads registered under it: an audit line of each level
    /// and subject, and a request's span. tracing registers a callsite when
    /// it is first hit, and while one subscriber exists it asks only the
    /// registering thread's own: a callsite first hit by another test's
    /// thread would be cached as unwanted and the trail's line lost (seen,
    /// once in a few runs). Hit here first, under the trail's subscriber,
    /// they are registered as wanted, and no later subscriber comes to
    /// disturb that.
    async fn new(t: &TestApp) -> Self {
        use integration_tests::auth::base::audit::{Subject, emit};
        let sink = Sink::default();
        let writer = sink.clone();
        let logs = Dispatch::new(json_logs(LevelFilter::TRACE, move || writer.clone()));
        async {
            for event in Event::ALL {
                for subject in [
                    Subject::Username("-"),
                    Subject::UserId(0),
                    Subject::Client("-"),
                    Subject::Nobody,
                ] {
                    emit(event, subject, "callsite registration");
                }
            }
            invoke("well-known", t, Req::get(JWKS).build()).await;
        }
        .with_subscriber(logs.clone())
        .await;
        sink.0.lock().unwrap().clear();
        Trail {
            sink,
            logs,
            all: String::new(),
            secrets: vec![ALICE_PASSWORD.into(), BOB_PASSWORD.into()],
        }
    }

    /// No credential a request carried or got back is anywhere in the log.
    fn assert_no_secret(&self) {
        for secret in &self.secrets {
            assert!(
                !self.all.contains(secret.as_str()),
                "a secret in the log: {secret}"
            );
        }
    }

    /// Runs `request`, logging as a function does; its audit lines.
    async fn run(&mut self, request: impl Future<Output = Resp>) -> (Resp, Vec<Value>) {
        let r = request.with_subscriber(self.logs.clone()).await;
        let written = String::from_utf8(std::mem::take(&mut *self.sink.0.lock().unwrap())).unwrap();
        self.all.push_str(&written);
        let body: Value = serde_json::from_str(&r.body).unwrap_or_default();
        for name in ["access", "refresh", "token", "access_token", "id_token"] {
            if let Some(token) = body[name].as_str() {
                self.secrets.push(token.to_owned());
            }
        }
        self.secrets.extend(r.cookie("sessionid"));
        self.secrets.extend(r.cookie("csrftoken"));
        let lines = written
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("JSON lines"))
            .filter(|l| l["fields"]["message"] == "audit")
            .collect();
        (r, lines)
    }

    /// Runs `request`, asserting it logs exactly `event` from `function`
    /// at `address`; that line.
    async fn expect(
        &mut self,
        request: impl Future<Output = Resp>,
        event: Event,
        function: &str,
        address: &str,
    ) -> (Resp, Value) {
        let (r, lines) = self.run(request).await;
        let names: Vec<_> = lines.iter().map(|l| l["fields"]["event"].clone()).collect();
        assert_eq!(names, [json!(event.name())], "{}: {}", r.status, r.body);
        let line = lines.into_iter().next().unwrap();
        assert_eq!(line["span"]["function"], json!(function), "{line}");
        assert_eq!(line["span"]["address"], json!(address), "{line}");
        (r, line)
    }
}

fn from(req: Req, address: &str) -> Request {
    req.source_ip(address).build()
}

#[tokio::test]
async fn every_security_event_is_one_json_line_and_holds_no_secret() {
    let t = rotating_app(&[
        ("THROTTLE_USERNAME_ADDRESS_LIMIT", "2"),
        ("REFRESH_TOKEN_RATE_LIMIT", "2"),
        ("REFRESH_TOKEN_BIND", "address"),
    ])
    .await;
    let t: &TestApp = &t;
    let mut trail = Trail::new(t).await;
    let (a, b) = ("198.51.100.7", "203.0.113.9");
    let mut seen = Vec::new();
    let wrong = || credentials(LOGIN, "bob", "not bob's password");

    // Password checks: succeeded, failed (and why), throttled (and which limit).
    let (_, line) = trail
        .expect(
            invoke("login", t, from(alice_credentials(LOGIN), a)),
            Event::LoginSucceeded,
            "login",
            a,
        )
        .await;
    assert_eq!(line["fields"]["username"], json!("alice"));
    assert_eq!(line["level"], json!("INFO"));
    seen.push(Event::LoginSucceeded);
    for reason in ["wrong_password", "wrong_password"] {
        let (r, line) = trail
            .expect(
                invoke("login", t, from(wrong(), a)),
                Event::LoginFailed,
                "login",
                a,
            )
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(line["fields"]["username"], json!("bob"));
        assert_eq!(line["fields"]["reason"], json!(reason));
    }
    let unknown = credentials(LOGIN, "mallory", "guess");
    let (_, line) = trail
        .expect(
            invoke("login", t, from(unknown, b)),
            Event::LoginFailed,
            "login",
            b,
        )
        .await;
    assert_eq!(line["fields"]["reason"], json!("unknown_user"));
    seen.push(Event::LoginFailed);
    let (r, line) = trail
        .expect(
            invoke("login", t, from(wrong(), a)),
            Event::LoginThrottled,
            "login",
            a,
        )
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(line["level"], json!("WARN"));
    assert_eq!(line["fields"]["reason"], json!("username_address_limit"));
    seen.push(Event::LoginThrottled);

    // Refresh families: reuse, a bound token from elsewhere, too many refreshes.
    let obtain = || alice_credentials(OBTAIN);
    let pair = |r: &Resp| {
        let v = r.json();
        (
            v["refresh"].as_str().unwrap().to_owned(),
            v["access"].as_str().unwrap().to_owned(),
        )
    };
    let (r, _) = trail
        .run(invoke("token-obtain-pair", t, from(obtain(), a)))
        .await;
    let (r0, _) = pair(&r);
    trail
        .run(invoke("token-refresh", t, from(refresh_req(&r0), a)))
        .await;
    let (r, line) = trail
        .expect(
            invoke("token-refresh", t, from(refresh_req(&r0), a)),
            Event::RefreshReuse,
            "token-refresh",
            a,
        )
        .await;
    r.assert(401, BLACKLISTED);
    assert_eq!(line["fields"]["user_id"], json!(1));
    seen.push(Event::RefreshReuse);
    let (r, _) = trail
        .run(invoke("token-obtain-pair", t, from(obtain(), a)))
        .await;
    let (bound, _) = pair(&r);
    trail
        .expect(
            invoke("token-refresh", t, from(refresh_req(&bound), b)),
            Event::BindingMismatch,
            "token-refresh",
            b,
        )
        .await
        .0
        .assert(401, BLACKLISTED);
    seen.push(Event::BindingMismatch);
    let (r, _) = trail
        .run(invoke("token-obtain-pair", t, from(obtain(), a)))
        .await;
    let (mut next, _) = pair(&r);
    for _ in 0..2 {
        let (r, _) = trail
            .run(invoke("token-refresh", t, from(refresh_req(&next), a)))
            .await;
        next = pair(&r).0;
    }
    let (r, _) = trail
        .expect(
            invoke("token-refresh", t, from(refresh_req(&next), a)),
            Event::RefreshRateExceeded,
            "token-refresh",
            a,
        )
        .await;
    assert_eq!(r.status, 429);
    seen.push(Event::RefreshRateExceeded);

    // A caller ending everything, and changing their password.
    let (r, _) = trail
        .run(invoke("token-obtain-pair", t, from(obtain(), a)))
        .await;
    let (_, access) = pair(&r);
    let (r, line) = trail
        .expect(
            invoke(
                "logout-all",
                t,
                from(Req::post(LOGOUT_ALL).bearer(&access), a),
            ),
            Event::LogoutAll,
            "logout-all",
            a,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(line["fields"]["user_id"], json!(1));
    assert_eq!(line["fields"]["reason"], json!("bearer"));
    seen.push(Event::LogoutAll);
    let (r, _) = trail
        .run(invoke("token-obtain-pair", t, from(obtain(), a)))
        .await;
    let (_, access) = pair(&r);
    let new_password = "an entirely new passphrase 2026";
    trail.secrets.push(new_password.into());
    let change = Req::post(PASSWORD)
        .bearer(&access)
        .json(&json!({"old_password": ALICE_PASSWORD, "new_password": new_password}));
    let (r, _) = trail
        .expect(
            invoke("password-change", t, from(change, a)),
            Event::PasswordChanged,
            "password-change",
            a,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    seen.push(Event::PasswordChanged);

    // A token naming a key we do not hold; a cross-site login form.
    let forged = {
        use base64::Engine;
        let alg = integration_tests::test_algorithm().name();
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            r#"{{"alg":"{alg}","kid":"not-a-key-of-ours","typ":"JWT"}}"#
        ));
        let rest = access.split_once('.').unwrap().1;
        format!("{header}.{rest}")
    };
    let (_, line) = trail
        .expect(
            invoke("token-verify", t, from(verify_req(&forged), b)),
            Event::UnknownKid,
            "token-verify",
            b,
        )
        .await;
    assert_eq!(line["fields"]["reason"], json!("not-a-key-of-ours"));
    seen.push(Event::UnknownKid);
    let cross_site =
        credentials(LOGIN, "alice", ALICE_PASSWORD).header("origin", "https://evil.example");
    let (r, line) = trail
        .expect(
            invoke("login", t, from(cross_site, b)),
            Event::CsrfFailure,
            "login",
            b,
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(
        line["fields"]["reason"]
            .as_str()
            .unwrap()
            .contains("Origin checking failed")
    );
    seen.push(Event::CsrfFailure);

    // Two-factor authentication: bob enrols, is challenged, gets a code
    // wrong, logs in with a recovery code and turns it off.
    let c = "192.0.2.55";
    let bob = || credentials(OBTAIN, "bob", BOB_PASSWORD);
    let (r, _) = trail
        .run(invoke("token-obtain-pair", t, from(bob(), c)))
        .await;
    let (_, access) = pair(&r);
    let (r, _) = trail
        .run(invoke(
            "mfa",
            t,
            from(
                Req::post(MFA_TOTP)
                    .bearer(&access)
                    .json(&json!({"password": BOB_PASSWORD})),
                c,
            ),
        ))
        .await;
    let secret = r.json()["secret"].as_str().unwrap().to_owned();
    trail.secrets.push(secret.clone());
    let key = super::mfa::base32(&secret);
    let code = |steps: i64| super::mfa::totp(&key, now() + 30 * steps, 6);
    super::mfa::settle().await;
    let confirm = Req::post(MFA_CONFIRM)
        .bearer(&access)
        .json(&json!({"password": BOB_PASSWORD, "code": code(-1)}));
    let (r, line) = trail
        .expect(
            invoke("mfa", t, from(confirm, c)),
            Event::MfaEnabled,
            "mfa",
            c,
        )
        .await;
    assert_eq!(line["fields"]["reason"], json!("bearer"));
    let codes: Vec<String> = serde_json::from_value(r.json()["recovery_codes"].clone()).unwrap();
    trail.secrets.extend(codes.iter().cloned());
    let (r, _) = trail
        .expect(
            invoke("token-obtain-pair", t, from(bob(), c)),
            Event::MfaRequired,
            "token-obtain-pair",
            c,
        )
        .await;
    let token = r.json()["mfa_token"].as_str().unwrap().to_owned();
    trail.secrets.push(token.clone());
    let second = |code: &str| Req::post(LOGIN_MFA).json(&json!({"mfa_token": token, "code": code}));
    let (r, line) = trail
        .expect(
            invoke("login-mfa", t, from(second("000000"), c)),
            Event::MfaCodeFailed,
            "login-mfa",
            c,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(line["level"], json!("WARN"));
    // The wrong code that reaches MFA_TOTP_MAX_FAILURES (10) locks the
    // second step: nine more, as if from other tokens and addresses.
    let bob_id = t
        .app
        .store
        .user_by_username("bob")
        .await
        .unwrap()
        .unwrap()
        .id;
    set_on_user(t, bob_id, &[("mfa_failures", 9)]).await;
    // (From another address: this one's password throttle allows two.)
    let (r, lines) = trail
        .run(invoke("login-mfa", t, from(second("000001"), "192.0.2.56")))
        .await;
    assert_eq!(r.status, 400);
    let names: Vec<_> = lines.iter().map(|l| l["fields"]["event"].clone()).collect();
    assert_eq!(names, [json!("mfa_code_failed"), json!("mfa_locked")]);
    let locked = &lines[1];
    assert_eq!(locked["level"], json!("WARN"));
    assert_eq!(locked["fields"]["username"], json!("bob"));
    assert_eq!(locked["fields"]["reason"], json!("10 failures; for 60 s"));
    assert_eq!(locked["span"]["function"], json!("login-mfa"));
    // Support opens it again (authctl mfa unlock).
    let unlock = UserChange::UnlockMfa;
    t.app.store.update_user(bob_id, unlock).await.unwrap();
    let (r, lines) = trail
        .run(invoke("login-mfa", t, from(second(&codes[0]), c)))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let names: Vec<_> = lines.iter().map(|l| l["fields"]["event"].clone()).collect();
    assert_eq!(
        names,
        [json!("recovery_code_used"), json!("login_succeeded")]
    );
    let access = r.json()["access"].as_str().unwrap().to_owned();
    let disable = Req::post(MFA_DISABLE)
        .bearer(&access)
        .json(&json!({"password": BOB_PASSWORD, "code": codes[1]}));
    let (r, _) = trail
        .expect(
            invoke("mfa", t, from(disable, c)),
            Event::MfaDisabled,
            "mfa",
            c,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    seen.extend([
        Event::MfaEnabled,
        Event::MfaRequired,
        Event::MfaCodeFailed,
        Event::MfaLocked,
        Event::RecoveryCodeUsed,
        Event::MfaDisabled,
    ]);

    seen.extend(ACCOUNT_EVENTS);
    seen.extend(PASSKEY_EVENTS);
    seen.extend(OAUTH_EVENTS);
    assert_eq!(
        seen,
        Event::ALL,
        "every kind, once (the accounts' and the passkeys' in the next tests)"
    );
    trail.assert_no_secret();
}

/// The account flows' events (`account_events_are_audited_without_their_links`).
const ACCOUNT_EVENTS: [Event; 6] = [
    Event::Signup,
    Event::EmailVerified,
    Event::PasswordResetRequested,
    Event::PasswordResetDone,
    Event::EmailChanged,
    Event::AccountDeleted,
];

#[tokio::test]
async fn account_events_are_audited_without_their_links() {
    use crate::mail::unique_address;
    use crate::signup::{Accounts, query, sign_up, verify};
    use integration_tests::auth::mail::Job;
    let a = Accounts::new(&[]).await;
    let t = &a.t;
    let mut trail = Trail::new(t).await;
    let c = "192.0.2.77";
    let email = unique_address();
    trail.secrets.push("a long and new passphrase".into());
    let (r, line) = trail
        .expect(
            invoke("registration", t, from(sign_up("auditee", &email), c)),
            Event::Signup,
            "registration",
            c,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(line["fields"]["user_id"].is_u64(), "{line}");
    let links = a.links(&email).await;
    let key = query(&links[0].1, "key");
    trail.secrets.push(key.clone());
    trail
        .expect(
            invoke("registration", t, from(verify(&key), c)),
            Event::EmailVerified,
            "registration",
            c,
        )
        .await;
    let ask = Req::post(PASSWORD_RESET).json(&json!({ "email": email }));
    let (_, line) = trail
        .expect(
            invoke("password-reset", t, from(ask, c)),
            Event::PasswordResetRequested,
            "password-reset",
            c,
        )
        .await;
    assert_eq!(
        line["fields"]["subject"],
        json!("none"),
        "never who: {line}"
    );
    let link = a
        .mint(
            Job::PasswordReset {
                email: email.clone(),
            },
            now(),
        )
        .await
        .unwrap();
    let parts: Vec<&str> = link.rsplitn(3, '/').collect();
    let (uid, token) = (parts[1], parts[0]);
    trail.secrets.push(token.to_owned());
    let new = "a reset and new passphrase";
    trail.secrets.push(new.into());
    let confirm = Req::post(PASSWORD_RESET_CONFIRM).json(&json!({
        "uid": uid, "token": token, "new_password1": new, "new_password2": new,
    }));
    let (r, _) = trail
        .expect(
            invoke("password-reset", t, from(confirm, c)),
            Event::PasswordResetDone,
            "password-reset",
            c,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // A new address: asked for (nothing to audit yet), then moved by its link.
    let user = t
        .app
        .store
        .user_by_username("auditee")
        .await
        .unwrap()
        .unwrap();
    let access = t.app.tokens.pair_for(&user, now(), c).access;
    trail.secrets.push(access.clone());
    let moved = unique_address();
    let patch = Req::new("PATCH", USER)
        .bearer(&access)
        .json(&json!({ "email": moved }));
    let (r, lines) = trail.run(invoke("user", t, from(patch, c))).await;
    assert_eq!((r.status, lines.len()), (200, 0), "{}: {lines:?}", r.body);
    let key = query(&a.links(&moved).await[0].1, "key");
    trail.secrets.push(key.clone());
    let (_, line) = trail
        .expect(
            invoke("registration", t, from(verify(&key), c)),
            Event::EmailChanged,
            "registration",
            c,
        )
        .await;
    assert_eq!(line["fields"]["user_id"], json!(user.id), "{line}");
    let delete = Req::new("DELETE", USER)
        .bearer(&access)
        .json(&json!({ "password": new }));
    let (r, _) = trail
        .expect(
            invoke("user", t, from(delete, c)),
            Event::AccountDeleted,
            "user",
            c,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    trail.assert_no_secret();
}

/// The OAuth provider's events (`oauth_events_are_audited_without_secrets`).
const OAUTH_EVENTS: [Event; 6] = [
    Event::OAuthClientFailed,
    Event::OAuthTokenIssued,
    Event::OAuthCodeReused,
    Event::OAuthTokenRevoked,
    Event::OAuthConsentGiven,
    Event::OAuthConsentWithdrawn,
];

#[tokio::test]
async fn oauth_events_are_audited_without_secrets() {
    use integration_tests::auth::model::client::Grant;
    let t = &integration_tests::spawn_app_with(crate::oauth::OAUTH_ON).await;
    let client = crate::oauth::register(t, true, &[Grant::ClientCredentials], &["read"]).await;
    let mut trail = Trail::new(t).await;
    let secret = client.secret.clone().unwrap();
    trail.secrets.push(secret.clone());
    let c = "192.0.2.80";
    let grant = Req::post(OAUTH_TOKEN).form(&[("grant_type", "client_credentials")]);
    let (r, line) = trail
        .expect(
            invoke(
                "oauth-token",
                t,
                from(grant.clone().basic(&client.id, &secret), c),
            ),
            Event::OAuthTokenIssued,
            "oauth-token",
            c,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(line["fields"]["client_id"], json!(client.id), "{line}");
    assert_eq!(
        line["fields"]["reason"],
        json!("client_credentials"),
        "{line}"
    );
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    let (r, line) = trail
        .expect(
            invoke(
                "oauth-token",
                t,
                from(grant.basic(&client.id, "a wrong secret"), c),
            ),
            Event::OAuthClientFailed,
            "oauth-token",
            c,
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(
        (&line["level"], &line["fields"]["reason"]),
        (&json!("WARN"), &json!("wrong_secret"))
    );
    trail.secrets.push("a wrong secret".into());
    let revoke = Req::post(OAUTH_REVOKE)
        .form(&[("token", &token)])
        .basic(&client.id, &secret);
    let (r, line) = trail
        .expect(
            invoke("oauth-tokens", t, from(revoke, c)),
            Event::OAuthTokenRevoked,
            "oauth-tokens",
            c,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(line["fields"]["reason"], json!("access"), "{line}");
    // A code redeemed twice: its tokens' family revoked, and a warning.
    let spa = crate::oauth_code::spa(t, true).await;
    let (session, _) = session_of_alice(t).await;
    trail.secrets.push(session.clone());
    let code = crate::oauth_code::code_for(t, &spa, &session).await;
    trail.secrets.push(code.clone());
    let redeem = || crate::oauth_code::exchange(&spa, &code, crate::oauth_code::VERIFIER);
    let (r, _) = trail.run(invoke("oauth-token", t, from(redeem(), c))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (r, line) = trail
        .expect(
            invoke("oauth-token", t, from(redeem(), c)),
            Event::OAuthCodeReused,
            "oauth-token",
            c,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        (&line["level"], &line["fields"]["client_id"]),
        (&json!("WARN"), &json!(spa))
    );
    // A consent given on the consent page, then withdrawn.
    let third = crate::oauth_code::spa(t, false).await;
    let (session, csrf) = session_of_alice(t).await;
    trail.secrets.extend([session.clone(), csrf.clone()]);
    let params = crate::oauth_code::authorize_params(&third, &[]);
    let page = call!(
        oauth_authorize,
        t,
        crate::oauth_code::authorize(&params, Some(&session)).cookie("csrftoken", &csrf)
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let allow = crate::oauth_consent::decide(&page, "allow", &session, &csrf);
    let (r, line) = trail
        .expect(
            invoke("oauth-authorize", t, from(allow, c)),
            Event::OAuthConsentGiven,
            "oauth-authorize",
            c,
        )
        .await;
    assert_eq!(r.status, 302, "{}", r.body);
    let code = r.header("location").unwrap().to_owned();
    trail
        .secrets
        .push(code.split("code=").nth(1).unwrap()[..43].to_owned());
    assert_eq!(
        (&line["fields"]["user_id"], &line["fields"]["reason"]),
        (&json!(t.alice.id), &json!(third))
    );
    let withdraw = Req::new("DELETE", &OAUTH_GRANT.replace("{client_id}", &third))
        .session_with_csrf(&session, &csrf);
    let (r, line) = trail
        .expect(
            invoke("oauth-grants", t, from(withdraw, c)),
            Event::OAuthConsentWithdrawn,
            "oauth-grants",
            c,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(line["fields"]["reason"], json!(third));
    trail.assert_no_secret();
}

/// The passkeys' events (`passkey_events_are_audited`).
const PASSKEY_EVENTS: [Event; 4] = [
    Event::PasskeyAdded,
    Event::PasskeyRemoved,
    Event::PasskeyLogin,
    Event::PasskeyCounterRegressed,
];

#[tokio::test]
async fn passkey_events_are_audited() {
    use crate::passkeys::{ORIGIN, creation_options, login_with, passkey_app, request_options};
    use integration_tests::softkey::SoftKey;
    let t = &passkey_app().await;
    let mut trail = Trail::new(t).await;
    let c = "192.0.2.78";
    let (_, access) = pair_of_alice(t).await;
    trail.secrets.push(access.clone());
    let mut key = SoftKey::new(ORIGIN);
    let options = creation_options(t, &access, ALICE_PASSWORD).await;
    let credential = key.create(&options).await.unwrap();
    let add = Req::post(PASSKEY_REGISTER)
        .bearer(&access)
        .json(&json!({ "credential": credential }));
    let (r, line) = trail
        .expect(
            invoke("passkeys", t, from(add, c)),
            Event::PasskeyAdded,
            "passkeys",
            c,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(line["fields"]["reason"], json!(id), "{line}");
    assert_eq!(line["fields"]["user_id"], json!(t.alice.id), "{line}");

    key.set_counter(Some(10));
    let credential = key.get(&request_options(t).await).await.unwrap();
    let login = login_with(&credential, "session");
    let (r, lines) = trail.run(invoke("login-passkey", t, from(login, c))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let names: Vec<_> = lines.iter().map(|l| l["fields"]["event"].clone()).collect();
    assert_eq!(names, [json!("passkey_login"), json!("login_succeeded")]);

    key.set_counter(Some(2));
    let credential = key.get(&request_options(t).await).await.unwrap();
    let login = login_with(&credential, "session");
    let (r, line) = trail
        .expect(
            invoke("login-passkey", t, from(login, c)),
            Event::PasskeyCounterRegressed,
            "login-passkey",
            c,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(line["level"], json!("WARN"), "{line}");

    let remove = Req::new("DELETE", &PASSKEY.replace("{id}", &id))
        .bearer(&access)
        .json(&json!({ "password": ALICE_PASSWORD }));
    let (r, _) = trail
        .expect(
            invoke("passkeys", t, from(remove, c)),
            Event::PasskeyRemoved,
            "passkeys",
            c,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    trail.assert_no_secret();
}

#[tokio::test]
async fn a_passkey_sign_up_is_audited_as_a_sign_up_and_a_passkey_added() {
    use crate::mail::unique_address;
    use crate::passkey_signup::signup_app;
    use crate::passkeys::ORIGIN;
    use integration_tests::softkey::SoftKey;
    let a = signup_app(&[]).await;
    let t = &a.t;
    let mut trail = Trail::new(t).await;
    let c = "192.0.2.79";
    let email = unique_address();
    let ask = Req::post(SIGNUP_PASSKEY_OPTIONS).json(&json!({"username": "keyed", "email": email}));
    let r = invoke("registration-passkey", t, from(ask, c)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let credential = SoftKey::new(ORIGIN).create(&r.json()).await.unwrap();
    let finish = Req::post(SIGNUP_PASSKEY).json(&json!({ "credential": credential }));
    let (r, lines) = trail
        .run(invoke("registration-passkey", t, from(finish, c)))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let names: Vec<_> = lines.iter().map(|l| l["fields"]["event"].clone()).collect();
    assert_eq!(names, [json!("signup"), json!("passkey_added")]);
    assert_eq!(
        lines[0]["fields"]["reason"],
        json!("passkey"),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1]["fields"]["reason"], credential["id"],
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[0]["fields"]["user_id"], lines[1]["fields"]["user_id"],
        "one user"
    );
    trail.assert_no_secret();
}
