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

use crate::credentials::validators::Weakness;
use crate::web::request::{Data, Field};

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
    /// sign-up, reset: the two passwords differ.
    PasswordMismatch,
    /// sign-up: the username is taken (Django shows it).
    UsernameTaken,
    /// sign-up without enumeration prevention: the address is taken.
    EmailTaken,
    /// An address that is not one (Django's `EmailValidator`).
    InvalidEmail,
    /// A username Django's `UnicodeUsernameValidator` refuses.
    InvalidUsername,
    /// Longer than the field's maximum (characters).
    TooLong(usize),
    /// reset: a `uid` or `token` that is not a live one (dj-rest-auth's).
    InvalidValue,
    /// passkeys: a WebAuthn credential that did not verify, or whose
    /// ceremony is unknown, used or expired.
    InvalidCredential,
    /// A value that is not one of the field's choices (as given).
    InvalidChoice(String),
    /// passkeys: the user holds as many as they may.
    TooManyPasskeys(usize),
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
    mapping(data)?;
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

/// DRF's first check of a serializer's data: a mapping (a JSON `null` is
/// "No data provided").
pub fn mapping(data: &Data) -> Result<(), Invalid> {
    if let Data::Json(Value::Null) = data {
        return Err(Invalid::non_field(FieldError::NoData));
    }
    if !data.is_mapping() {
        return Err(Invalid::non_field(FieldError::NotADictionary(
            data.python_type(),
        )));
    }
    Ok(())
}

/// A partial update's field (DRF's `CharField` with `required=False`,
/// trimmed): `None` when absent, else its value or its errors, blank
/// allowed or not, at most `max` characters.
pub fn optional_field(
    data: &Data,
    name: &str,
    allow_blank: bool,
    max: usize,
) -> Result<Option<String>, Vec<FieldError>> {
    match char_field(data.field(name), true) {
        Err(FieldError::Required) => Ok(None),
        Err(FieldError::Blank) if allow_blank => Ok(Some(String::new())),
        Err(error) => Err(vec![error]),
        Ok(value) if value.chars().count() > max => Err(vec![FieldError::TooLong(max)]),
        Ok(value) => Ok(Some(value)),
    }
}

/// A WebAuthn credential field (`credential.toJSON()`): a JSON object, or
/// in a form its JSON text.
pub fn credential_field(data: &Data, name: &str) -> Result<Value, Vec<FieldError>> {
    let value = match data.field(name) {
        Field::Missing => return Err(vec![FieldError::Required]),
        Field::Json(Value::Null) => return Err(vec![FieldError::Null]),
        Field::Json(v) => v.clone(),
        Field::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
    };
    match value {
        Value::Object(_) => Ok(value),
        _ => Err(vec![FieldError::InvalidCredential]),
    }
}

/// A choice field (DRF's `ChoiceField`): the value, if one of `choices`.
pub fn choice_field(
    data: &Data,
    name: &str,
    choices: &[&'static str],
) -> Result<&'static str, Vec<FieldError>> {
    let value = char_field(data.field(name), false).map_err(|e| vec![e])?;
    (choices.iter().find(|c| **c == value))
        .copied()
        .ok_or_else(|| vec![FieldError::InvalidChoice(value)])
}

/// Two sets of fields of one body (e.g. [`serializer_fields`] and
/// [`password_fields`]), checked together as one serializer: both sets'
/// values, or every error of both in order; a body that is no mapping has
/// its one error.
pub fn together<A, B>(a: Result<A, Invalid>, b: Result<B, Invalid>) -> Result<(A, B), Invalid> {
    let whole_body = |e: &Invalid| e.0.iter().any(|(f, _)| *f == NON_FIELD_ERRORS);
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(e), _) | (_, Err(e)) if whole_body(&e) => Err(e),
        (a, b) => {
            let mut invalid = Invalid::default();
            for errors in [a.err(), b.err()].into_iter().flatten() {
                invalid.0.extend(errors.0);
            }
            Err(invalid)
        }
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
