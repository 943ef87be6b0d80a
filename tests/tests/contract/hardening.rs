//! The security review's findings (issue 21), each as its attack: every
//! test here failed before its fix.

use futures::StreamExt;
use integration_tests::auth::store::{SessionStore, UserAdmin, UserStore};
use integration_tests::{BOB_PASSWORD, ROUTES, spawn_app, spawn_app_with, workspace};

use crate::helpers::*;
use crate::mfa::{App2fa, challenge, enrol, second, settle};

/// What `login/mfa` answers a wrong code of the right shape.
const INVALID_CODE: &str = r#"{"code":["Invalid code."]}"#;

/// alice's password step from `address`: her `mfa_token`.
async fn token_of_alice(t: &TestApp, address: &str) -> String {
    let obtain = alice_credentials(OBTAIN).source_ip(address);
    challenge(&call!(token_obtain_pair, t, obtain))
}

/// alice's consecutive second-factor failures, as stored.
async fn failures_of_alice(t: &TestApp) -> u64 {
    let alice = t.app.store.user_by_id(1).await.unwrap().unwrap();
    alice.mfa.failures
}

/// The seconds a 429 asks to wait, checked against its body.
fn retry_after(r: &Resp) -> u64 {
    assert_eq!(r.status, 429, "{}", r.body);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    let unit = if wait == 1 { "second" } else { "seconds" };
    let detail = format!("Request was throttled. Expected available in {wait} {unit}.");
    r.assert(429, &json!({ "detail": detail }).to_string());
    wait
}

/// How many of `statuses` are `status`.
fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// The attack of finding 1 on `username`: 200 wrong passwords from one
/// address, then 100 spread over 20 more (5 each, every one at its own
/// lock). As refused attempts charge nothing else, the first address
/// fills 5 of the ceiling's 100 and the others the rest: 95 are checked
/// and the last 5 refused.
async fn fill_the_ceiling(t: &TestApp, username: &str) {
    let wrong = |from: String| async move {
        let req = credentials(LOGIN, username, "not the password").source_ip(&from);
        call!(login, t, req).status
    };
    // Eight at a time: as fast as the local DynamoDB answers in time.
    let all = |attempts: Vec<_>| {
        futures::stream::iter(attempts)
            .buffer_unordered(8)
            .collect()
    };
    let one: Vec<u16> = all((0..200).map(|_| wrong("203.0.113.66".into())).collect()).await;
    assert_eq!(count(&one, 403), 5, "the lock stops one address");
    let spread = (0..100).map(|i| wrong(format!("192.0.2.{}", i / 5 + 1)));
    let spread: Vec<u16> = all(spread.collect()).await;
    assert_eq!(
        (count(&spread, 403), count(&spread, 429)),
        (95, 5),
        "the first address's refused attempts filled none of the ceiling"
    );
}

/// alice's right password on every route that takes one, from `from`
/// (with `device`, her device cookie): none is refused.
async fn alice_everywhere(t: &TestApp, from: &str, device: Option<&str>) {
    let mut tried = 0;
    for route in ROUTES.iter() {
        let Some(mut req) = with_password(route, "alice", ALICE_PASSWORD, from) else {
            continue;
        };
        if let Some(device) = device {
            req = req.cookie("device", device);
        }
        let r = Resp::from_response(route.invoke(&t.app, req.build()).await);
        assert!(
            ![401, 403, 429].contains(&r.status),
            "{} from {from}: {} {}",
            route.path,
            r.status,
            r.body
        );
        tried += 1;
    }
    assert!(tried >= 8, "{tried} password paths");
}

/// 1. One address cannot lock an account out (ASVS 2.2.1): an attempt a
/// counter refuses charges no other, and a full ceiling refuses only the
/// clients it does not recognise. The issue's attack fills alice's and
/// bob's ceilings; a stranger's fresh address is refused, but alice logs
/// in on every password path — from her usual address, and from a fresh
/// one with her device cookie — and bob (TOTP on) completes `login/mfa`
/// both ways too.
#[tokio::test]
async fn one_address_cannot_lock_the_owner_out() {
    const USUAL: &str = "198.51.100.7";
    let t = spawn_app_with(&[("THROTTLE_DEVICE_COOKIE", "device")]).await;
    // Before: each logged in from their usual address, and their browser
    // kept the device cookie the login set.
    let r = call!(login, t, alice_credentials(LOGIN).source_ip(USUAL));
    assert_eq!(r.status, 200, "{}", r.body);
    let alices = r.cookie("device").expect("a device cookie");
    let set = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("device="));
    let set = set.unwrap().to_owned();
    for attribute in [
        "HttpOnly",
        "Max-Age=31449600",
        "Path=/api/v1/users/",
        "SameSite=Lax",
    ] {
        assert!(set.contains(attribute), "{set}");
    }
    let (app, codes) = enrol(&t, "bob", BOB_PASSWORD).await;
    let bob = || credentials(OBTAIN, "bob", BOB_PASSWORD).source_ip(USUAL);
    let token = challenge(&call!(token_obtain_pair, t, bob()));
    let r = call!(login_mfa, t, second(&token, &app.code(0)).source_ip(USUAL));
    assert_eq!(r.status, 200, "{}", r.body);
    let bobs = r.cookie("device").expect("login/mfa sets it too");

    futures::join!(fill_the_ceiling(&t, "alice"), fill_the_ceiling(&t, "bob"));

    let stranger = alice_credentials(LOGIN).source_ip("192.0.2.200");
    assert_throttled(&call!(login, t, stranger), 900);
    alice_everywhere(&t, USUAL, None).await;
    alice_everywhere(&t, "203.0.113.200", Some(&alices)).await;
    // bob's cookie is bob's: it does not recognise alice.
    let hers = alice_credentials(LOGIN).source_ip("203.0.113.201");
    assert_throttled(&call!(login, t, hers.cookie("device", &bobs)), 900);

    // login/mfa, from the usual address and with the cookie from afar.
    let token = challenge(&call!(token_obtain_pair, t, bob()));
    let r = call!(login_mfa, t, second(&token, &app.code(1)).source_ip(USUAL));
    assert_eq!(r.status, 200, "{}", r.body);
    let afar = "203.0.113.202";
    let obtain = credentials(OBTAIN, "bob", BOB_PASSWORD).source_ip(afar);
    let token = challenge(&call!(token_obtain_pair, t, obtain.cookie("device", &bobs)));
    let second_step = second(&token, &codes[0]).source_ip(afar);
    let r = call!(login_mfa, t, second_step.cookie("device", &bobs));
    assert_eq!(r.status, 200, "{}", r.body);

    // The owners' logins opened the ceiling to no one else.
    let stranger = alice_credentials(LOGIN).source_ip("192.0.2.201");
    assert_throttled(&call!(login, t, stranger), 900);
}

/// 1. Without device cookies (the default), the owner's usual address
/// keeps its allowance when the ceiling is full, and a login sets no
/// cookie beyond the contract's.
#[tokio::test]
async fn by_default_the_owners_usual_address_keeps_its_allowance() {
    const USUAL: &str = "198.51.100.7";
    let t = spawn_app_with(&[("THROTTLE_USERNAME_LIMIT", "10")]).await;
    let r = call!(login, t, alice_credentials(LOGIN).source_ip(USUAL));
    assert_eq!(r.status, 200, "{}", r.body);
    let names: Vec<&str> = (r.set_cookies().iter())
        .map(|c| c.split('=').next().unwrap())
        .collect();
    assert_eq!(names, ["csrftoken", "sessionid"]);
    for i in 0..10 {
        let from = format!("192.0.2.{}", i / 5 + 1);
        let r = call!(
            login,
            t,
            credentials(LOGIN, "alice", "wrong").source_ip(&from)
        );
        r.assert(403, "");
    }
    let fresh = alice_credentials(LOGIN).source_ip("203.0.113.9");
    assert_throttled(&call!(login, t, fresh), 900);
    alice_everywhere(&t, USUAL, None).await;
}

/// 1. A device cookie passes the ceiling with its own limit (the lock's),
/// whatever the addresses it comes from: a stolen one is worth no more
/// than one more address.
#[tokio::test]
async fn a_device_cookie_has_a_limit_of_its_own() {
    let t = spawn_app_with(&[
        ("THROTTLE_DEVICE_COOKIE", "device"),
        ("THROTTLE_USERNAME_LIMIT", "1"),
    ])
    .await;
    let r = call!(login, t, alice_credentials(LOGIN));
    let device = r.cookie("device").expect("a device cookie");
    let wrong = credentials(LOGIN, "alice", "wrong").source_ip("192.0.2.1");
    call!(login, t, wrong).assert(403, "");
    let mut statuses = Vec::new();
    for i in 0..6 {
        let from = format!("203.0.113.{i}");
        let req = credentials(LOGIN, "alice", "wrong").source_ip(&from);
        statuses.push(call!(login, t, req.cookie("device", &device)).status);
    }
    assert_eq!(statuses, [403, 403, 403, 403, 403, 429]);
    // A forged or another's cookie is no cookie.
    let forged = device.replacen('.', "x.", 1);
    let req = alice_credentials(LOGIN).source_ip("203.0.113.99");
    assert_throttled(&call!(login, t, req.cookie("device", &forged)), 900);
}

/// 2. A dead `mfa_token` (used, or out of attempts) answers the same for
/// a right code as for a wrong one: its state is checked before any code
/// is compared, and nothing is charged for it.
#[tokio::test]
async fn a_dead_mfa_token_tells_no_right_code_from_a_wrong_one() {
    let t = spawn_app().await;
    let (app, _) = enrol(&t, "alice", ALICE_PASSWORD).await;
    settle().await;
    let dead = r#"{"detail":"Two-factor token is invalid or expired.","code":"mfa_token_invalid"}"#;
    // Used.
    let token = token_of_alice(&t, "198.51.100.1").await;
    let r = call!(login_mfa, t, second(&token, &app.code(0)));
    assert_eq!(r.status, 200, "{}", r.body);
    let right = call!(login_mfa, t, second(&token, &app.code(1)));
    let wrong = call!(login_mfa, t, second(&token, "000000"));
    right.assert(401, dead);
    wrong.assert(401, dead);
    assert_eq!(failures_of_alice(&t).await, 0, "nothing charged");
    // Out of attempts (five), each from its own address.
    let token = token_of_alice(&t, "198.51.100.2").await;
    for i in 0..5 {
        let from = format!("203.0.113.{i}");
        let r = call!(login_mfa, t, second(&token, "000000").source_ip(&from));
        r.assert(400, INVALID_CODE);
    }
    let right = call!(login_mfa, t, second(&token, &app.code(1)));
    let wrong = call!(login_mfa, t, second(&token, "000000"));
    right.assert(401, dead);
    wrong.assert(401, dead);
    assert_eq!(
        failures_of_alice(&t).await,
        5,
        "the dead token's tries not charged"
    );
}

/// 2. Guessing codes is bounded per user, whatever the tokens and
/// addresses: at MFA_TOTP_MAX_FAILURES (10) consecutive wrong codes the
/// second step refuses even the right code, for 60 s doubling with each
/// further failure; at 100 (NIST SP 800-63B §5.2.2) until support unlocks
/// it. The password step answers as always; a new token resets nothing;
/// only a completed login forgets the count.
#[tokio::test]
async fn second_factor_guessing_is_bounded_per_user_across_tokens_and_addresses() {
    use integration_tests::auth::store::UserChange;
    let t = spawn_app().await;
    let (app, codes) = enrol(&t, "alice", ALICE_PASSWORD).await;
    settle().await;
    // A new token and address for every wrong code: neither the password
    // throttle nor the per-token bound ever bites.
    for i in 0..10 {
        let from = format!("198.51.100.{i}");
        let token = token_of_alice(&t, &from).await;
        let r = call!(login_mfa, t, second(&token, "000000").source_ip(&from));
        r.assert(400, INVALID_CODE);
    }
    assert_eq!(failures_of_alice(&t).await, 10);
    // Locked: the password step answers as before (no enumeration), but
    // neither the right code nor a recovery code gets through, from
    // anywhere, with any token.
    let from = "192.0.2.77";
    let token = token_of_alice(&t, from).await;
    for code in [app.code(0), codes[0].clone()] {
        let r = call!(login_mfa, t, second(&token, &code).source_ip(from));
        assert!((1..=60).contains(&retry_after(&r)), "{}", r.body);
    }
    assert_eq!(failures_of_alice(&t).await, 10, "refused before any charge");
    // A minute later, one more wrong code locks it for two.
    set_on_user(&t, 1, &[("mfa_locked_until", now() - 1)]).await;
    let r = call!(login_mfa, t, second(&token, "000000").source_ip(from));
    r.assert(400, INVALID_CODE);
    let r = call!(login_mfa, t, second(&token, &app.code(0)).source_ip(from));
    assert!((61..=120).contains(&retry_after(&r)), "{}", r.body);
    // Two minutes later, the right code completes the login and forgets.
    set_on_user(&t, 1, &[("mfa_locked_until", now() - 1)]).await;
    let r = call!(login_mfa, t, second(&token, &app.code(0)).source_ip(from));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(failures_of_alice(&t).await, 0);
    // At the hundredth consecutive failure, only support opens it again.
    set_on_user(&t, 1, &[("mfa_failures", 99), ("mfa_locked_until", 0)]).await;
    let token = token_of_alice(&t, from).await;
    let r = call!(login_mfa, t, second(&token, "000000").source_ip(from));
    r.assert(400, INVALID_CODE);
    set_on_user(&t, 1, &[("mfa_locked_until", now() - 1)]).await;
    let r = call!(login_mfa, t, second(&token, &app.code(1)).source_ip(from));
    r.assert(429, r#"{"detail":"Request was throttled."}"#);
    assert_eq!(r.header("retry-after"), None);
    let unlock = t.app.store.update_user(1, UserChange::UnlockMfa).await;
    unlock.unwrap();
    let r = call!(login_mfa, t, second(&token, &app.code(1)).source_ip(from));
    assert_eq!(r.status, 200, "{}", r.body);
}

/// 2. Racing wrong codes cannot share one count: each code compared was
/// charged first, against the count it read, so however many arrive at
/// once no more than MFA_TOTP_MAX_FAILURES are ever compared.
#[tokio::test]
async fn racing_codes_cannot_outrun_the_count() {
    let t = spawn_app().await;
    enrol(&t, "alice", ALICE_PASSWORD).await;
    let mut tokens = Vec::new();
    for i in 0..5 {
        let from = format!("198.51.100.{i}");
        tokens.push((token_of_alice(&t, &from).await, from));
    }
    let attempts = tokens.iter().flat_map(|(token, from)| {
        (0..4).map(|_| async { call!(login_mfa, t, second(token, "000000").source_ip(from)) })
    });
    let answers = futures::future::join_all(attempts).await;
    let compared = answers.iter().filter(|r| r.status == 400).count() as u64;
    for r in &answers {
        assert!([400, 429].contains(&r.status), "{}: {}", r.status, r.body);
    }
    assert!((1..=10).contains(&compared), "{compared} codes compared");
    assert_eq!(failures_of_alice(&t).await, compared, "each one charged");
}

/// 3. A stolen session or 5-minute access token cannot enrol the thief's
/// authenticator, confirm it, or replace the recovery codes: each needs
/// the current password (ASVS 3.7.1).
#[tokio::test]
async fn a_stolen_credential_cannot_change_a_factor() {
    use integration_tests::totp::base32;
    let t = spawn_app().await;
    let (_, stolen) = pair_of_alice(&t).await;
    let without = call!(mfa, t, Req::post(MFA_TOTP).bearer(&stolen));
    without.assert(400, r#"{"password":["This field is required."]}"#);
    let guessed = json!({"password": "a guess"});
    let r = call!(mfa, t, Req::post(MFA_TOTP).bearer(&stolen).json(&guessed));
    r.assert(400, r#"{"password":["Wrong password."]}"#);
    assert!(
        t.app
            .store
            .user_by_id(1)
            .await
            .unwrap()
            .unwrap()
            .mfa
            .pending
            .is_none(),
        "nothing enrolled"
    );
    // The owner enrols; the thief cannot confirm it, nor replace the codes.
    let with = json!({"password": ALICE_PASSWORD});
    let r = call!(mfa, t, Req::post(MFA_TOTP).bearer(&stolen).json(&with));
    let app = App2fa {
        secret: base32(r.json()["secret"].as_str().unwrap()),
    };
    settle().await;
    let confirm = json!({"password": "a guess", "code": app.code(0)});
    let r = call!(
        mfa,
        t,
        Req::post(MFA_CONFIRM).bearer(&stolen).json(&confirm)
    );
    r.assert(400, r#"{"password":["Wrong password."]}"#);
    assert!(
        !t.app
            .store
            .user_by_id(1)
            .await
            .unwrap()
            .unwrap()
            .mfa
            .is_on()
    );
}

/// 4. Turning TOTP on ends every credential issued before — the phished
/// session and refresh family with the rest — and renews only the
/// caller's own.
#[tokio::test]
async fn turning_totp_on_ends_every_other_session_and_token() {
    let t = spawn_app().await;
    let (session, csrf) = session_of_alice(&t).await;
    let (refresh, access) = pair_of_alice(&t).await;
    let jwt = jwt_of_alice(&t).await;
    enrol(&t, "alice", ALICE_PASSWORD).await;
    call!(info, t, Req::get(INFO).session(&session, &csrf)).assert(401, NOT_PROVIDED);
    assert_eq!(call!(info, t, Req::get(INFO).bearer(&access)).status, 401);
    assert_eq!(
        call!(info, t, Req::get(INFO).header("jwt-auth", &jwt)).status,
        401
    );
    refresh_with(&t, &refresh).await.assert(401, BLACKLISTED);
}

/// The keys of a JSON body that carry a credential or a secret.
const SECRET_KEYS: &[&str] = &[
    "access",
    "refresh",
    "token",
    "mfa_token",
    "secret",
    "otpauth_url",
    "qr_svg",
    "recovery_codes",
];

#[track_caller]
fn assert_no_store_if_secret(case: &str, r: &Resp) {
    let body: Value = serde_json::from_str(&r.body).unwrap_or_default();
    // A field's errors are a list of messages; a secret is a string (or
    // the recovery codes' list of strings, outside any error body).
    let carries = SECRET_KEYS.iter().any(|k| match body.get(k) {
        Some(Value::String(_)) => true,
        Some(Value::Array(_)) => *k == "recovery_codes" && r.status == 200,
        _ => false,
    }) || ["sessionid", "refresh"]
        .iter()
        .any(|c| r.cookie(c).is_some_and(|v| v != r#""""#));
    if carries {
        assert_eq!(
            r.header("cache-control"),
            Some("no-store"),
            "{case}: {}",
            r.body
        );
        assert_eq!(r.header("pragma"), Some("no-cache"), "{case}");
    }
}

/// 6. Every answer that carries a credential or a secret is never stored
/// by a cache (RFC 6749 §5.1): the sample events of every route, and the
/// `mfa_required` answer every password check gives a user with TOTP on.
#[tokio::test]
async fn every_answer_carrying_a_credential_is_no_store() {
    use integration_tests::auth::fixtures::Credentials;
    use integration_tests::auth::web::Auth;
    let t = spawn_app().await;
    let mut seen = 0;
    for route in ROUTES.iter() {
        let dir = workspace().join("events").join(route.function);
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let template = std::fs::read_to_string(&path).unwrap();
            let alice = t.app.store.user_by_id(t.alice.id).await.unwrap().unwrap();
            let text = Credentials::mint(&t.app, &alice)
                .await
                .unwrap()
                .fill(&template);
            let event = integration_tests::auth::lambda_http::request::from_str(&text).unwrap();
            let r = Resp::from_response(route.invoke(&t.app, event).await);
            assert_no_store_if_secret(&path.display().to_string(), &r);
            seen += 1;
        }
    }
    assert!(seen > 50);
    // The password step of a user with TOTP on, on every path that checks
    // a password: login bodies, and Basic on every authenticating route.
    enrol(&t, "bob", BOB_PASSWORD).await;
    let mut challenged = 0;
    for route in ROUTES.iter() {
        let mut requests = vec![];
        if route.auth != Auth::None {
            requests.push(Req::new(route.method(), route.path).basic("bob", BOB_PASSWORD));
        }
        if [LOGIN, JWT_LOGIN, OBTAIN].contains(&route.path) {
            requests.push(credentials(route.path, "bob", BOB_PASSWORD));
        }
        for req in requests {
            let r = Resp::from_response(route.invoke(&t.app, req.build()).await);
            challenge(&r);
            assert_no_store_if_secret(route.path, &r);
            challenged += 1;
        }
    }
    assert!(challenged > 5);
}

/// 7. Deleting a user removes their second factor with the rest of their
/// credentials: no table holds the sealed secret, its step or the
/// recovery-code hashes afterwards.
#[tokio::test]
async fn deleting_a_user_leaves_no_second_factor_or_address_anywhere() {
    let t = spawn_app().await;
    enrol(&t, "bob", BOB_PASSWORD).await;
    let bob = t.app.store.user_by_id(t.bob.id).await.unwrap().unwrap();
    let sealed = bob.mfa.totp.clone().unwrap();
    // His address goes too, and is free for someone else.
    let bob = (t.app.store.set_email(&bob, "Bob.Builder@example.com", true))
        .await
        .unwrap();
    t.app.store.delete_user(&bob).await.unwrap();
    t.app.store.end_sessions(bob.id).await.unwrap();
    let everything = integration_tests::snapshot(&t.app.store).await.join("\n");
    for attribute in ["totp", "totp_step", "totp_pending", "recovery"] {
        assert!(
            !everything.contains(&format!("{attribute}=")),
            "{attribute} left behind:\n{everything}"
        );
    }
    assert!(!everything.contains(&sealed));
    assert!(
        !everything.to_lowercase().contains("bob.builder"),
        "the address left behind:\n{everything}"
    );
    assert!(!everything.contains("email"), "{everything}");
    let carol = t.app.store.create_user("carol", "h").await.unwrap();
    t.app
        .store
        .set_email(&carol, "bob.builder@example.com", false)
        .await
        .unwrap();
    assert!(
        t.app
            .store
            .session("nosuchsessionnosuchsession000000")
            .await
            .unwrap()
            .is_none()
    );
}

/// 8. Behind the per-client front (CloudFront with AWS WAF's limits per
/// address), a function counts the viewer's address — CloudFront's
/// `True-Client-IP` — not CloudFront's own, and refuses every request that
/// did not come through the front (a client calling API Gateway directly
/// would bypass its limits). Without the front, those headers mean nothing.
#[tokio::test]
async fn behind_the_front_the_viewer_is_the_client_and_bypassing_it_is_refused() {
    const SECRET: &str = "0123456789abcdef0123456789abcdef-front";
    const DENIED: &str = r#"{"detail":"You do not have permission to perform this action."}"#;
    let t = spawn_app_with(&[("FRONT_ORIGIN_SECRET", SECRET)]).await;
    for route in ROUTES.iter() {
        let direct = Req::new(route.method(), route.path).build();
        let r = Resp::from_response(route.invoke(&t.app, direct).await);
        r.assert(403, DENIED);
    }
    let through = |req: Req, secret: &str, viewer: &str, edge: &str| {
        req.header("x-origin-verify", secret)
            .header("true-client-ip", viewer)
            .source_ip(edge)
    };
    let login = |password: &str| credentials(LOGIN, "alice", password);
    let wrong_secret = &SECRET.replace('0', "1");
    for (secret, viewer) in [
        (wrong_secret.as_str(), "198.51.100.1"),
        (SECRET, ""),
        (SECRET, "x"),
    ] {
        let req = through(login(ALICE_PASSWORD), secret, viewer, "130.176.0.1");
        call!(login, t, req).assert(403, DENIED);
    }
    // The lock counts the viewer, whichever CloudFront edge it came through.
    for edge in 1..=5 {
        let req = through(
            login("wrong"),
            SECRET,
            "198.51.100.7",
            &format!("130.176.0.{edge}"),
        );
        call!(login, t, req).assert(403, "");
    }
    let req = through(login(ALICE_PASSWORD), SECRET, "198.51.100.7", "130.176.0.9");
    assert_throttled(&call!(login, t, req), 900);
    let req = through(login(ALICE_PASSWORD), SECRET, "2001:db8::7", "130.176.0.1");
    call!(login, t, req).assert(200, r#"{"message":"success"}"#);

    // Without the front, a True-Client-IP a client sends is its own say-so.
    let t = spawn_app().await;
    for i in 0..5 {
        let forged = login("wrong").header("true-client-ip", &format!("203.0.113.{i}"));
        call!(login, t, forged.source_ip("192.0.2.7")).assert(403, "");
    }
    let forged = login(ALICE_PASSWORD).header("true-client-ip", "203.0.113.99");
    assert_throttled(&call!(login, t, forged.source_ip("192.0.2.7")), 900);
}
