//! Reading fields out of a parsed body, the two ways the contract needs.
//!
//! * [`serializer_fields`]: DRF serializer `CharField`s, as the simplejwt
//!   views validate them (400 with a dict of per-field errors).
//! * [`tutorial_credentials`]: the tutorial's `request.data.get(...)` with
//!   `if not username or not password: raise ParseError()`.
//!
//! Refusals are [`Invalid`] (DRF's `ValidationError` dict) or
//! [`Malformed`]; their wording is in `contract.rs`.

use secrecy::SecretString;
use serde_json::Value;

use crate::validators::Weakness;
use crate::web::{Data, Field};

/// The key DRF files errors about the body as a whole under.
pub const NON_FIELD_ERRORS: &str = "non_field_errors";

/// What is wrong with one field (or, under [`NON_FIELD_ERRORS`], the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    Required,
    Null,
    Blank,
    NotAString,
    NullCharacters,
    /// A JSON `null` body.
    NoData,
    /// A body that is not a mapping; Python's name of its type.
    NotADictionary(&'static str),
    /// verify: the token is revoked.
    TokenBlacklisted,
    /// password change: the old password is wrong.
    WrongOldPassword,
    /// two-factor: a code of the wrong shape, or one that does not match.
    InvalidCode,
    /// two-factor: disabling with the wrong password.
    WrongPassword,
    /// password change: a validator's finding about the new password.
    Weak(Weakness),
}

/// DRF's `ValidationError` with a dict: each field's errors, in field order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Invalid(pub Vec<(&'static str, Vec<FieldError>)>);

impl Invalid {
    /// One error about the body as a whole.
    pub fn non_field(error: FieldError) -> Self {
        Invalid(vec![(NON_FIELD_ERRORS, vec![error])])
    }

    /// Adds `errors` for `field` (nothing if there are none).
    pub fn add(&mut self, field: &'static str, errors: Vec<FieldError>) {
        if !errors.is_empty() {
            self.0.push((field, errors));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The tutorial's `ParseError`: the body lacks a username or password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// DRF `CharField` (allow_blank off) on one field, trimmed or not.
fn char_field(field: Field<'_>, trim: bool) -> Result<String, FieldError> {
    let raw = match field {
        Field::Missing => return Err(FieldError::Required),
        Field::Json(Value::Null) => return Err(FieldError::Null),
        Field::Json(Value::String(s)) => s.clone(),
        Field::Text(s) => s.to_owned(),
        Field::Json(Value::Number(n)) => n.to_string(),
        Field::Json(_) => return Err(FieldError::NotAString),
    };
    let value = if trim { raw.trim() } else { raw.as_str() };
    if value.is_empty() {
        return Err(FieldError::Blank);
    }
    if value.contains('\0') {
        return Err(FieldError::NullCharacters);
    }
    Ok(value.to_owned())
}

/// Validates `names` as DRF would; their values in order, or every error.
pub fn serializer_fields<const N: usize>(
    data: &Data,
    names: [&'static str; N],
) -> Result<[String; N], Invalid> {
    fields(data, names, true)
}

/// As [`serializer_fields`], for passwords: kept exactly as sent (Django's
/// password form fields do not strip).
pub fn password_fields<const N: usize>(
    data: &Data,
    names: [&'static str; N],
) -> Result<[SecretString; N], Invalid> {
    Ok(fields(data, names, false)?.map(SecretString::from))
}

fn fields<const N: usize>(
    data: &Data,
    names: [&'static str; N],
    trim: bool,
) -> Result<[String; N], Invalid> {
    if let Data::Json(Value::Null) = data {
        return Err(Invalid::non_field(FieldError::NoData));
    }
    if !data.is_mapping() {
        return Err(Invalid::non_field(FieldError::NotADictionary(
            data.python_type(),
        )));
    }
    let mut invalid = Invalid::default();
    let values = names.map(|name| match char_field(data.field(name), trim) {
        Ok(v) => v,
        Err(error) => {
            invalid.add(name, vec![error]);
            String::new()
        }
    });
    if invalid.is_empty() {
        Ok(values)
    } else {
        Err(invalid)
    }
}

/// Username and password for `login` and `login/jwt`: both must be non-empty
/// strings in a JSON object or form.
pub fn tutorial_credentials(data: &Data) -> Result<(String, SecretString), Malformed> {
    let text = |name: &str| match data.field(name) {
        Field::Json(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Field::Text(s) if !s.is_empty() => Some(s.to_owned()),
        _ => None,
    };
    match (text("username"), text("password")) {
        (Some(username), Some(password)) => Ok((username, SecretString::from(password))),
        _ => Err(Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::ApiError;
    use serde_json::json;

    /// The 400 body an error renders as.
    fn body(err: impl Into<ApiError>) -> String {
        let reply = err.into().reply();
        assert_eq!(reply.status.as_u16(), 400);
        reply.body.unwrap()
    }

    fn errors(data: Data) -> String {
        body(serializer_fields(&data, ["username", "password"]).unwrap_err())
    }

    #[test]
    fn drf_messages_per_field_in_field_order() {
        assert_eq!(
            errors(Data::Json(json!({}))),
            r#"{"username":["This field is required."],"password":["This field is required."]}"#
        );
        assert_eq!(
            errors(Data::Json(json!({"password": "x"}))),
            r#"{"username":["This field is required."]}"#
        );
        assert_eq!(
            errors(Data::Json(json!({"username": null, "password": []}))),
            r#"{"username":["This field may not be null."],"password":["Not a valid string."]}"#
        );
        assert_eq!(
            errors(Data::Json(json!({"username": "  ", "password": 1}))),
            r#"{"username":["This field may not be blank."]}"#
        );
        assert_eq!(
            errors(Data::Json(json!({"username": "a\u{0}b", "password": "x"}))),
            r#"{"username":["Null characters are not allowed."]}"#
        );
        assert_eq!(
            errors(Data::Form(vec![("username".into(), "".into())])),
            r#"{"username":["This field may not be blank."],"password":["This field is required."]}"#
        );
    }

    #[test]
    fn password_fields_are_not_trimmed() {
        use secrecy::ExposeSecret;
        let [a, b] = password_fields(
            &Data::Json(json!({"old_password": " x ", "new_password": "y"})),
            ["old_password", "new_password"],
        )
        .unwrap();
        assert_eq!((a.expose_secret(), b.expose_secret()), (" x ", "y"));
        let err = password_fields(
            &Data::Json(json!({"old_password": ""})),
            ["old_password", "new_password"],
        )
        .unwrap_err();
        assert_eq!(
            body(err),
            r#"{"old_password":["This field may not be blank."],"new_password":["This field is required."]}"#
        );
    }

    #[test]
    fn non_mapping_bodies() {
        assert_eq!(
            errors(Data::Json(json!(null))),
            r#"{"non_field_errors":["No data provided"]}"#
        );
        for (v, t) in [
            (json!([]), "list"),
            (json!("x"), "str"),
            (json!(1), "int"),
            (json!(1.5), "float"),
            (json!(true), "bool"),
        ] {
            assert_eq!(
                errors(Data::Json(v)),
                crate::web::to_json(
                    &json!({"non_field_errors": [format!("Invalid data. Expected a dictionary, but got {t}.")]})
                )
            );
        }
    }

    #[test]
    fn values_are_trimmed_and_numbers_become_text() {
        let [u, p] = serializer_fields(
            &Data::Json(json!({"username": " alice ", "password": 12})),
            ["username", "password"],
        )
        .unwrap();
        assert_eq!((u.as_str(), p.as_str()), ("alice", "12"));
    }

    #[test]
    fn tutorial_credentials_need_two_nonempty_strings() {
        use secrecy::ExposeSecret;
        let (u, p) =
            tutorial_credentials(&Data::Json(json!({"username":"a","password":"b"}))).unwrap();
        assert_eq!((u.as_str(), p.expose_secret()), ("a", "b"));
        for bad in [
            json!({}),
            json!({"username":"a"}),
            json!({"username":"","password":"b"}),
            json!({"username":1,"password":"b"}),
            json!({"username":"a","password":null}),
            json!([]),
            json!(null),
        ] {
            let err = tutorial_credentials(&Data::Json(bad.clone())).unwrap_err();
            assert_eq!(
                ApiError::from(err).reply().body.as_deref(),
                Some(r#"{"detail":"Malformed request."}"#),
                "{bad}"
            );
        }
    }
}
