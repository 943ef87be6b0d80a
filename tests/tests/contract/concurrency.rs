//! Racing requests, settled by DynamoDB's conditional writes: concurrent
//! sign-ups (store suite), refreshes (lifecycle), and here concurrent
//! logins of one user and a logout racing reads of its session.

use std::collections::HashSet;

use integration_tests::auth::store::SessionStore;
use integration_tests::{Req, call, spawn_app};

use crate::helpers::*;

#[tokio::test]
async fn concurrent_logins_of_one_user_all_get_their_own_live_session() {
    let t = unthrottled_app().await;
    let logins = futures::future::join_all(
        (0..12).map(|_| async { call!(login, t, alice_credentials(LOGIN)) }),
    )
    .await;
    let keys: HashSet<String> = logins
        .iter()
        .map(|r| {
            r.assert(200, r#"{"message":"success"}"#);
            r.cookie("sessionid").unwrap()
        })
        .collect();
    assert_eq!(keys.len(), 12, "distinct sessions");
    for key in &keys {
        assert!(t.app.store.session(key).await.unwrap().is_some());
        call!(info, t, Req::get(INFO).cookie("sessionid", key)).assert(200, ALICE);
    }
}

#[tokio::test]
async fn a_logout_racing_reads_of_its_session_ends_it_cleanly() {
    let t = spawn_app().await;
    let (key, csrf) = session_of_alice(&t).await;
    let logout = async { call!(logout, t, Req::post(LOGOUT).session_with_csrf(&key, &csrf)) };
    let reads = futures::future::join_all(
        (0..10).map(|_| async { call!(info, t, Req::get(INFO).cookie("sessionid", &key)) }),
    );
    let (out, reads) = tokio::join!(logout, reads);
    out.assert(200, "");
    for r in reads {
        // each read saw the session either before or after the logout
        match r.status {
            200 => r.assert(200, ALICE),
            401 => {
                r.assert(401, NOT_PROVIDED);
                assert_eq!(r.cookie("sessionid").as_deref(), Some(r#""""#));
            }
            other => panic!("{other}: {}", r.body),
        }
    }
    assert!(t.app.store.session(&key).await.unwrap().is_none());
    call!(info, t, Req::get(INFO).cookie("sessionid", &key)).assert(401, NOT_PROVIDED);
}
