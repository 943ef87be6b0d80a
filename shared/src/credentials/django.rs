//! Reading the users out of Django's `dumpdata` JSON
//! (`python manage.py dumpdata users.User` or `auth.User`, with
//! django-allauth's `account.EmailAddress` when the site has it).

use crate::credentials::password::importable;
use crate::store::{MAX_USERNAME_CHARS, User, valid_email, valid_username};
use serde_json::Value;

/// One record of the file: a user to import (its `email` as Django has
/// it, unverified), an allauth address of one, or why it cannot be.
#[derive(Debug)]
pub enum Record {
    User(Box<User>),
    EmailAddress(EmailAddress),
    Bad { label: String, reason: String },
}

/// django-allauth's `account.EmailAddress` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    pub user: u64,
    pub email: String,
    pub verified: bool,
    pub primary: bool,
}

/// Every record of a dumpdata file, in file order. Fails only if the file
/// is not a JSON list; bad records are reported one by one.
pub fn read(text: &str) -> Result<Vec<Record>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Array(items) = value else {
        return Err("not a dumpdata file: expected a JSON list of objects".into());
    };
    Ok(items
        .iter()
        .enumerate()
        .map(|(i, item)| record(i, item))
        .collect())
}

fn record(index: usize, item: &Value) -> Record {
    let pk = item.get("pk").and_then(Value::as_u64).filter(|id| *id > 0);
    let fields = item.get("fields");
    let username = fields
        .and_then(|f| f.get("username"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let label = match (pk, username) {
        (Some(id), "") => format!("record {} (id {id})", index + 1),
        (_, name) if !name.is_empty() => format!("{name:?}"),
        _ => format!("record {}", index + 1),
    };
    let bad = |reason: &str| Record::Bad {
        label: label.clone(),
        reason: reason.to_owned(),
    };
    let model = item
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if model.eq_ignore_ascii_case("account.emailaddress") {
        return email_address(index, fields);
    }
    if !model.eq_ignore_ascii_case("users.user") && !model.eq_ignore_ascii_case("auth.user") {
        return bad(&format!("not a user record (model {model:?})"));
    }
    let Some(id) = pk else {
        return bad("no numeric id (pk)");
    };
    let Some(fields) = fields else {
        return bad("no fields");
    };
    if username.is_empty() {
        return bad("no username");
    }
    if !valid_username(username) {
        return bad("invalid username (1-150 letters, digits and @/./+/-/_)");
    }
    let password = fields
        .get("password")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !importable(password) {
        return bad("unknown password hash format");
    }
    let is_active = fields
        .get("is_active")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let email = fields
        .get("email")
        .and_then(Value::as_str)
        .unwrap_or_default();
    // Django's names: 150 characters at most, blank if none.
    let name = |field: &str| -> String {
        let value = fields
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default();
        value.trim().chars().take(MAX_USERNAME_CHARS).collect()
    };
    Record::User(Box::new(User {
        id,
        username: username.to_owned(),
        password: password.to_owned(),
        is_active,
        generation: 0,
        email: email.trim().to_owned(),
        email_verified: false,
        first_name: name("first_name"),
        last_name: name("last_name"),
        mfa: Default::default(),
        passkeys: Vec::new(),
        consents: Vec::new(),
    }))
}

fn email_address(index: usize, fields: Option<&Value>) -> Record {
    let get = |name: &str| fields.and_then(|f| f.get(name));
    let email = get("email").and_then(Value::as_str).unwrap_or_default();
    let bad = |reason: &str| Record::Bad {
        label: format!("record {} (address {email:?})", index + 1),
        reason: reason.to_owned(),
    };
    let Some(user) = get("user").and_then(Value::as_u64) else {
        return bad("an address without a numeric user");
    };
    if !valid_email(email) {
        return bad("not an address");
    }
    Record::EmailAddress(EmailAddress {
        user,
        email: email.to_owned(),
        verified: get("verified").and_then(Value::as_bool).unwrap_or(false),
        primary: get("primary").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// The address each user is imported with: allauth's primary address
/// (with its verified flag), else Django's `email` (unverified, as allauth
/// treats an address it has no row for). Blank: none.
pub fn addresses(records: &[Record]) -> std::collections::HashMap<u64, (String, bool)> {
    let mut chosen = std::collections::HashMap::new();
    for record in records {
        if let Record::User(u) = record
            && valid_email(&u.email)
        {
            chosen.insert(u.id, (u.email.clone(), false));
        }
    }
    for record in records {
        if let Record::EmailAddress(a) = record
            && a.primary
        {
            chosen.insert(a.user, (a.email.clone(), a.verified));
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_users_and_reports_bad_records() {
        let text = r#"[
          {"model": "users.user", "pk": 3, "fields": {"password": "pbkdf2_sha256$1000$salt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "username": "carol", "is_active": false, "email": "", "first_name": " Carol ", "last_name": "Danvers"}},
          {"model": "auth.user", "pk": 4, "fields": {"password": "!unusable", "username": "dan"}},
          {"model": "users.user", "pk": 5, "fields": {"password": "md5$x$y", "username": "eve"}},
          {"model": "users.user", "pk": 6, "fields": {"password": "!x", "username": ""}},
          {"model": "users.user", "fields": {"password": "!x", "username": "nopk"}},
          {"model": "sessions.session", "pk": "abc", "fields": {}}
        ]"#;
        let records = read(text).unwrap();
        assert_eq!(records.len(), 6);
        match &records[0] {
            Record::User(u) => {
                assert_eq!(
                    (u.id, u.username.as_str(), u.is_active),
                    (3, "carol", false)
                );
                assert_eq!(
                    (u.first_name.as_str(), u.last_name.as_str()),
                    ("Carol", "Danvers")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&records[1], Record::User(u) if u.is_active && u.id == 4));
        let reasons: Vec<String> = records[2..]
            .iter()
            .map(|r| match r {
                Record::Bad { reason, .. } => reason.clone(),
                other => panic!("{other:?} accepted"),
            })
            .collect();
        assert_eq!(
            reasons,
            [
                "unknown password hash format",
                "no username",
                "no numeric id (pk)",
                "not a user record (model \"sessions.session\")"
            ]
        );
        assert!(read("{}").is_err());
        assert!(read("nope").is_err());
    }

    #[test]
    fn an_allauth_primary_address_wins_over_djangos_email() {
        let text = r#"[
          {"model": "users.user", "pk": 1, "fields": {"password": "!x", "username": "ann", "email": "Ann@Example.com"}},
          {"model": "users.user", "pk": 2, "fields": {"password": "!x", "username": "bo", "email": "bo@example.com"}},
          {"model": "users.user", "pk": 3, "fields": {"password": "!x", "username": "cy", "email": ""}},
          {"model": "account.emailaddress", "pk": 9, "fields": {"user": 1, "email": "ann@example.org", "verified": true, "primary": true}},
          {"model": "account.emailaddress", "pk": 10, "fields": {"user": 1, "email": "ann@old.example", "verified": true, "primary": false}},
          {"model": "account.emailaddress", "pk": 11, "fields": {"user": 2, "email": "not an address", "verified": true, "primary": true}}
        ]"#;
        let records = read(text).unwrap();
        assert!(
            matches!(&records[0], Record::User(u) if u.email == "Ann@Example.com" && !u.email_verified)
        );
        assert!(matches!(&records[5], Record::Bad { reason, .. } if reason == "not an address"));
        let chosen = addresses(&records);
        assert_eq!(chosen[&1], ("ann@example.org".to_owned(), true));
        assert_eq!(chosen[&2], ("bo@example.com".to_owned(), false));
        assert!(!chosen.contains_key(&3));
    }
}
