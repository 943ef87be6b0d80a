//! `POST login` — API.md "Session login, logout".

use integration_tests::auth::base::time::now;
use integration_tests::auth::store::SessionStore;
use integration_tests::{ALICE_PASSWORD, Req, call, spawn_app, spawn_app_with};
use serde_json::json;

use crate::helpers::*;

fn alice() -> Req {
    alice_credentials(LOGIN)
}

/// Seconds from now until a cookie's `expires=` date.
fn expires_in(set_cookie: &str) -> i64 {
    let date = set_cookie
        .split("; ")
        .find_map(|a| a.strip_prefix("expires="))
        .expect("an expires attribute");
    let at = httpdate_parse(date);
    at - now()
}

/// A `Set-Cookie` of cookie `name`, split into its value and attributes.
fn value_and_attributes<'a>(set_cookie: &'a str, name: &str) -> (&'a str, &'a str) {
    let (name_value, attrs) = set_cookie.split_once("; ").unwrap();
    let value = name_value
        .strip_prefix(&format!("{name}="))
        .unwrap_or_else(|| panic!("{name} expected: {set_cookie}"));
    (value, attrs)
}

fn httpdate_parse(s: &str) -> i64 {
    // "Thu, 25 Nov 2027 17:18:42 GMT"
    let parts: Vec<&str> = s.split([' ', ':']).collect();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let day: i64 = parts[1].parse().unwrap();
    let month = months.iter().position(|m| *m == parts[2]).unwrap() as i64 + 1;
    let year: i64 = parts[3].parse().unwrap();
    let (h, m, sec): (i64, i64, i64) = (
        parts[4].parse().unwrap(),
        parts[5].parse().unwrap(),
        parts[6].parse().unwrap(),
    );
    // days from civil (Howard Hinnant)
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + h * 3600 + m * 60 + sec
}

#[tokio::test]
async fn success_sets_csrftoken_then_sessionid_with_djangos_attributes() {
    let t = spawn_app().await;
    let r = call!(login, t, alice());
    r.assert(200, r#"{"message":"success"}"#);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let cookies = r.set_cookies();
    assert_eq!(cookies.len(), 2, "{cookies:?}");

    let csrf = cookies[0];
    let (value, attrs) = value_and_attributes(csrf, "csrftoken");
    assert_eq!(value.len(), 32);
    assert!(value.bytes().all(|b| b.is_ascii_alphanumeric()), "{value}");
    assert!(attrs.starts_with("expires="), "{csrf}");
    assert!(
        attrs.ends_with(" GMT; Max-Age=31449600; Path=/; SameSite=Lax"),
        "{csrf}"
    );
    assert!((expires_in(csrf) - 31_449_600).abs() <= 5, "{csrf}");

    let session = cookies[1];
    let (key, attrs) = value_and_attributes(session, "sessionid");
    assert_eq!(key.len(), 32);
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "{key}"
    );
    assert!(
        attrs.ends_with(" GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax"),
        "{session}"
    );
    assert!((expires_in(session) - 1_209_600).abs() <= 5, "{session}");

    let stored = t
        .app
        .store
        .session(key)
        .await
        .unwrap()
        .expect("session stored");
    assert_eq!(stored.user_id, t.alice.id);
    assert!((stored.expires_at - (now() + 1_209_600)).abs() <= 5);
    assert_security_headers(&r);
    assert_eq!(r.header("vary"), Some("Accept, Cookie"));
    assert_eq!(r.header("allow"), Some("POST, OPTIONS"));
}

#[tokio::test]
async fn form_bodies_work_like_json() {
    let t = spawn_app().await;
    let r = call!(
        login,
        t,
        Req::post(LOGIN).form(&[("username", "alice"), ("password", ALICE_PASSWORD)])
    );
    r.assert(200, r#"{"message":"success"}"#);
    // repeated fields: the last value counts, as Django's QueryDict.get
    let r = call!(
        login,
        t,
        Req::post(LOGIN).form(&[
            ("username", "bob"),
            ("username", "alice"),
            ("password", ALICE_PASSWORD)
        ])
    );
    r.assert(200, r#"{"message":"success"}"#);
}

#[tokio::test]
async fn missing_empty_or_non_string_credentials_are_malformed() {
    let t = spawn_app().await;
    let before = integration_tests::snapshot(&t.app.store).await;
    let malformed = r#"{"detail":"Malformed request."}"#;
    for body in [
        json!({}),
        json!({"username":"alice"}),
        json!({"password":ALICE_PASSWORD}),
        json!({"username":"","password":ALICE_PASSWORD}),
        json!({"username":"alice","password":""}),
        json!({"username":1,"password":ALICE_PASSWORD}),
        json!({"username":"alice","password":["x"]}),
        json!({"username":null,"password":ALICE_PASSWORD}),
        json!([{"username":"alice","password":ALICE_PASSWORD}]),
        json!("alice"),
        json!(null),
        json!(7),
    ] {
        let r = call!(login, t, Req::post(LOGIN).json(&body));
        assert_eq!((r.status, r.body.as_str()), (400, malformed), "{body}");
        assert!(r.set_cookies().is_empty());
    }
    let r = call!(login, t, Req::post(LOGIN));
    r.assert(400, malformed);
    let r = call!(login, t, Req::post(LOGIN).form(&[("username", "alice")]));
    r.assert(400, malformed);
    assert_eq!(integration_tests::snapshot(&t.app.store).await, before);
}

#[tokio::test]
async fn wrong_password_unknown_or_inactive_user_is_403_with_an_empty_body() {
    let refused = [
        ("alice", "wrong"),
        ("alice", "correct horse battery staplE"),
        ("nobody", ALICE_PASSWORD),
        ("ALICE", ALICE_PASSWORD),
        ("bob", integration_tests::BOB_PASSWORD),
    ];
    for (user, r) in answers_to_credentials(LOGIN, &refused).await {
        r.assert(403, "");
        assert_eq!(r.header("content-type"), None, "{user}");
        assert!(r.set_cookies().is_empty(), "{user}");
    }
}

#[tokio::test]
async fn login_always_issues_a_new_key_and_ends_the_old_session() {
    let t = spawn_app().await;
    let (old, csrf) = session_of_alice(&t).await;
    let r = call!(login, t, alice().session_with_csrf(&old, &csrf));
    r.assert(200, r#"{"message":"success"}"#);
    let new = r.cookie("sessionid").unwrap();
    assert_ne!(new, old);
    assert!(
        t.app.store.session(&old).await.unwrap().is_none(),
        "old session still live"
    );
    assert!(t.app.store.session(&new).await.unwrap().is_some());
    assert_ne!(r.cookie("csrftoken").unwrap(), csrf, "CSRF secret rotated");
}

#[tokio::test]
async fn logged_in_callers_need_csrf_to_log_in_again() {
    let t = spawn_app().await;
    let (old, csrf) = session_of_alice(&t).await;
    let r = call!(login, t, alice().session(&old, &csrf));
    r.assert(403, r#"{"detail":"CSRF Failed: CSRF token missing."}"#);
    assert!(
        t.app.store.session(&old).await.unwrap().is_some(),
        "nothing changed"
    );
}

#[tokio::test]
async fn a_dead_session_cookie_is_replaced_not_deleted() {
    let t = spawn_app().await;
    let r = call!(
        login,
        t,
        alice().cookie("sessionid", "deadbeefdeadbeefdeadbeefdeadbeef")
    );
    r.assert(200, r#"{"message":"success"}"#);
    let session = r.cookie("sessionid").unwrap();
    assert_eq!(session.len(), 32);
    assert_ne!(session, "deadbeefdeadbeefdeadbeefdeadbeef");
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let t = spawn_app_with(&[("SESSION_COOKIE_SECURE", "true")]).await;
    let r = call!(login, t, alice());
    for c in r.set_cookies() {
        assert!(c.ends_with("; Path=/; SameSite=Lax; Secure"), "{c}");
    }
}

#[tokio::test]
async fn a_bad_basic_header_stops_a_login() {
    let t = spawn_app().await;
    let r = call!(login, t, alice().basic("alice", "wrong"));
    r.assert(401, r#"{"detail":"Invalid username/password."}"#);
    assert_challenge(&r, "Basic");
    assert!(r.set_cookies().is_empty());
}

#[tokio::test]
async fn sessions_end_when_the_password_changes() {
    let t = spawn_app().await;
    let (key, _) = session_of_alice(&t).await;
    let r = call!(info, t, Req::get(INFO).cookie("sessionid", &key));
    r.assert(200, ALICE);
    set_password(&t, t.alice.id, "a brand new password").await;
    let r = call!(info, t, Req::get(INFO).cookie("sessionid", &key));
    r.assert(401, NOT_PROVIDED);
    assert_eq!(r.set_cookies(), vec![DELETION]);
    assert!(
        t.app.store.session(&key).await.unwrap().is_none(),
        "flushed"
    );
}
