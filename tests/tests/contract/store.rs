//! Store behaviour, the same suite on the in-memory store and on DynamoDB
//! (moto): ids, unique usernames, sessions, the blacklist, expiry.

use std::collections::HashSet;

use integration_tests::auth::store::{
    CreateUserError, MemoryStore, Session, Store, UpdateUserError, UserAdmin, UserChange,
};
use integration_tests::auth::time::now;
use integration_tests::fresh_store;

async fn users<S: Store + UserAdmin>(store: &S) {
    let a = store.create_user("alice", "hash-a").await.unwrap();
    let b = store.create_user("bob", "hash-b").await.unwrap();
    assert_eq!((a.id, b.id), (1, 2));
    assert!(a.is_active);
    assert!(matches!(
        store.create_user("alice", "x").await,
        Err(CreateUserError::UsernameTaken)
    ));
    let c = store.create_user("carol", "hash-c").await.unwrap();
    assert_eq!(c.id, 3, "a refused duplicate does not use up an id");
    assert_eq!(
        store.user_by_username("alice").await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(store.user_by_id(2).await.unwrap(), Some(b.clone()));
    assert_eq!(
        store.user_by_username("Alice").await.unwrap(),
        None,
        "case-sensitive"
    );
    assert_eq!(store.user_by_username("nobody").await.unwrap(), None);
    assert_eq!(store.user_by_id(99).await.unwrap(), None);
    for weird in [
        "",
        " alice",
        "a b",
        "x".repeat(151).as_str(),
        "a#b",
        "\u{0}",
    ] {
        assert_eq!(
            store.user_by_username(weird).await.unwrap(),
            None,
            "{weird:?}"
        );
    }
    let changed = store
        .update_user(a.id, UserChange::Password("hash-new".into()))
        .await
        .unwrap();
    assert_eq!(changed.password, "hash-new");
    let changed = store
        .update_user(a.id, UserChange::Active(false))
        .await
        .unwrap();
    assert!(!changed.is_active);
    assert_eq!(
        store
            .user_by_username("alice")
            .await
            .unwrap()
            .unwrap()
            .password,
        "hash-new"
    );
    assert!(matches!(
        store.update_user(99, UserChange::Active(true)).await,
        Err(UpdateUserError::NotFound)
    ));
}

async fn concurrent_sign_ups<S: Store + UserAdmin>(store: &S) {
    let names: Vec<String> = (0..12).map(|i| format!("user{i}")).collect();
    let created = futures::future::join_all(names.iter().map(|n| store.create_user(n, "h"))).await;
    let ids: HashSet<u64> = created.into_iter().map(|r| r.unwrap().id).collect();
    assert_eq!(
        ids,
        (1..=12).collect::<HashSet<u64>>(),
        "distinct ids 1..=12"
    );
    let same = futures::future::join_all((0..8).map(|_| store.create_user("same", "h"))).await;
    assert_eq!(
        same.iter().filter(|r| r.is_ok()).count(),
        1,
        "one sign-up of a name wins"
    );
    assert!(
        same.iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(CreateUserError::UsernameTaken)))
    );
}

fn session(key: &str, expires_at: i64) -> Session {
    Session {
        session_key: key.into(),
        user_id: 1,
        auth_hash: "h".into(),
        expires_at,
    }
}

const K1: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";
const K2: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2";
const K3: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3";

async fn sessions<S: Store>(store: &S) {
    let live = session(K1, now() + 100);
    assert!(store.create_session(&live, None).await.unwrap());
    assert_eq!(store.session(K1).await.unwrap(), Some(live.clone()));
    assert!(
        !store
            .create_session(&session(K1, now() + 5), None)
            .await
            .unwrap(),
        "never overwrite a live session"
    );
    assert_eq!(store.session(K1).await.unwrap(), Some(live.clone()));
    // replacing deletes the old one in the same write
    assert!(
        store
            .create_session(&session(K2, now() + 100), Some(K1))
            .await
            .unwrap()
    );
    assert_eq!(store.session(K1).await.unwrap(), None);
    assert!(store.session(K2).await.unwrap().is_some());
    // a refused create does not delete the session it would replace
    assert!(
        !store
            .create_session(&session(K2, now() + 5), Some(K2))
            .await
            .unwrap()
            || store.session(K2).await.unwrap().is_some()
    );
    store.delete_session(K2).await.unwrap();
    assert_eq!(store.session(K2).await.unwrap(), None);
    store.delete_session(K2).await.unwrap();
    // expired items are absent, and their key can be reused
    assert!(
        store
            .create_session(&session(K3, now() - 1), None)
            .await
            .unwrap()
    );
    assert_eq!(store.session(K3).await.unwrap(), None);
    assert!(
        store
            .create_session(&session(K3, now() + 100), None)
            .await
            .unwrap()
    );
    assert!(store.session(K3).await.unwrap().is_some());
    // keys that cannot be session keys are simply absent
    for weird in [
        "",
        "short",
        &"a".repeat(5000),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        assert_eq!(store.session(weird).await.unwrap(), None);
        store.delete_session(weird).await.unwrap();
    }
}

async fn blacklist<S: Store>(store: &S) {
    assert!(!store.is_blacklisted("j1").await.unwrap());
    assert!(store.blacklist("j1", now() + 100).await.unwrap());
    assert!(store.is_blacklisted("j1").await.unwrap());
    assert!(
        !store.blacklist("j1", now() + 100).await.unwrap(),
        "second time: already there"
    );
    // an expired entry is absent and can be written again
    assert!(store.blacklist("j2", now() - 1).await.unwrap());
    assert!(!store.is_blacklisted("j2").await.unwrap());
    assert!(store.blacklist("j2", now() + 100).await.unwrap());
    // jtis that could not be keys still work
    for weird in ["".to_owned(), "x".repeat(5000)] {
        assert!(!store.is_blacklisted(&weird).await.unwrap());
        assert!(store.blacklist(&weird, now() + 100).await.unwrap());
        assert!(store.is_blacklisted(&weird).await.unwrap());
    }
    let racers =
        futures::future::join_all((0..8).map(|_| store.blacklist("race", now() + 100))).await;
    assert_eq!(
        racers.into_iter().filter(|r| *r.as_ref().unwrap()).count(),
        1
    );
}

#[tokio::test]
async fn memory_users() {
    users(&MemoryStore::new()).await;
}

#[tokio::test]
async fn dynamo_users() {
    users(&fresh_store().await).await;
}

#[tokio::test]
async fn memory_concurrent_sign_ups() {
    concurrent_sign_ups(&MemoryStore::new()).await;
}

#[tokio::test]
async fn dynamo_concurrent_sign_ups() {
    concurrent_sign_ups(&fresh_store().await).await;
}

#[tokio::test]
async fn memory_sessions() {
    sessions(&MemoryStore::new()).await;
}

#[tokio::test]
async fn dynamo_sessions() {
    sessions(&fresh_store().await).await;
}

#[tokio::test]
async fn memory_blacklist() {
    blacklist(&MemoryStore::new()).await;
}

#[tokio::test]
async fn dynamo_blacklist() {
    blacklist(&fresh_store().await).await;
}
