//! Accounts: logging in with an address (django-allauth's
//! `ACCOUNT_AUTHENTICATION_METHOD`) on every password path of the route
//! table; by default an address names nobody, as in the contract.

use integration_tests::auth::store::{UserAdmin, UserStore};
use integration_tests::{ALICE_PASSWORD, BOB_PASSWORD, ROUTES, TestApp, spawn_app, spawn_app_with};

use crate::helpers::*;

/// Alice's address, in another case than the logins below use.
const ALICE_EMAIL: &str = "Alice.Liddell@Example.com";

async fn with_addresses(t: &TestApp) {
    let alice = t.app.store.user_by_id(t.alice.id).await.unwrap().unwrap();
    t.app
        .store
        .set_email(&alice, ALICE_EMAIL, true)
        .await
        .unwrap();
}

/// The statuses of `login` with `password` on every password path
/// (logins' bodies, Basic credentials), each from its own address.
async fn everywhere(t: &TestApp, login: &str, password: &str) -> Vec<(String, u16)> {
    let mut answers = Vec::new();
    for (i, route) in ROUTES.iter().enumerate() {
        let from = format!("198.51.100.{}", i + 1);
        let Some(req) = with_password(route, login, password, &from) else {
            continue;
        };
        let r = Resp::from_response(route.invoke(&t.app, req.build()).await);
        answers.push((route.path.to_owned(), r.status));
    }
    assert!(answers.len() >= 8, "{answers:?}");
    answers
}

fn refused(status: u16) -> bool {
    [401, 403].contains(&status)
}

#[tokio::test]
async fn by_default_an_address_logs_nobody_in() {
    let t = spawn_app().await;
    with_addresses(&t).await;
    for (path, status) in everywhere(&t, "alice.liddell@example.com", ALICE_PASSWORD).await {
        assert!(refused(status), "{path}: {status}");
    }
    for (path, status) in everywhere(&t, "alice", ALICE_PASSWORD).await {
        assert!(!refused(status) && status < 500, "{path}: {status}");
    }
}

#[tokio::test]
async fn with_email_every_password_path_takes_the_address_in_any_case_and_not_the_username() {
    let t = spawn_app_with(&[("ACCOUNT_AUTHENTICATION_METHOD", "email")]).await;
    with_addresses(&t).await;
    for login in ["alice.liddell@example.com", "ALICE.LIDDELL@EXAMPLE.COM"] {
        for (path, status) in everywhere(&t, login, ALICE_PASSWORD).await {
            assert!(
                !refused(status) && status < 500,
                "{login} at {path}: {status}"
            );
        }
    }
    for (login, password) in [
        ("alice", ALICE_PASSWORD),
        ("alice.liddell@example.com", BOB_PASSWORD),
        ("nobody@example.com", ALICE_PASSWORD),
    ] {
        for (path, status) in everywhere(&t, login, password).await {
            assert!(refused(status), "{login} at {path}: {status}");
        }
    }
}

/// Either names a user: the address if a user holds it (first, as
/// django-allauth tries it first), else the username.
#[tokio::test]
async fn with_username_email_either_logs_in_and_an_address_names_its_holder() {
    let t = spawn_app_with(&[("ACCOUNT_AUTHENTICATION_METHOD", "username_email")]).await;
    with_addresses(&t).await;
    for login in ["alice", "alice.liddell@EXAMPLE.com"] {
        for (path, status) in everywhere(&t, login, ALICE_PASSWORD).await {
            assert!(
                !refused(status) && status < 500,
                "{login} at {path}: {status}"
            );
        }
    }
    // A username that is someone else's address names that someone.
    let hash = integration_tests::auth::credentials::password::hash_password_blocking(
        &BOB_PASSWORD.to_owned().into(),
    )
    .unwrap();
    let carol = "alice.liddell@example.com";
    t.app.store.create_user(carol, &hash).await.unwrap();
    let req = credentials(LOGIN, carol, ALICE_PASSWORD).source_ip("192.0.2.9");
    assert_eq!(call!(login, t, req).status, 200, "alice, by her address");
    let req = credentials(LOGIN, carol, BOB_PASSWORD).source_ip("192.0.2.9");
    assert_eq!(
        call!(login, t, req).status,
        403,
        "the address's holder only"
    );
}

/// An address's attempts are counted under one name whatever its case:
/// changing the case gives no more guesses.
#[tokio::test]
async fn the_case_of_an_address_buys_no_more_guesses() {
    let t = spawn_app_with(&[("ACCOUNT_AUTHENTICATION_METHOD", "email")]).await;
    with_addresses(&t).await;
    let variants = [
        "alice.liddell@example.com",
        "Alice.Liddell@example.com",
        "ALICE.LIDDELL@example.com",
        "alice.liddell@EXAMPLE.com",
        "Alice.Liddell@Example.Com",
        "aLiCe.LiDdElL@example.com",
    ];
    let mut statuses = Vec::new();
    for login in variants {
        let req = credentials(LOGIN, login, "wrong").source_ip("203.0.113.5");
        statuses.push(call!(login, t, req).status);
    }
    assert_eq!(statuses, [403, 403, 403, 403, 403, 429]);
}
