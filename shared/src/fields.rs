//! Reading fields out of a parsed body, the two ways the contract needs.
//!
//! * [`serializer_fields`]: DRF serializer `CharField`s, as the simplejwt
//!   views validate them (400 with a dict of per-field errors).
//! * [`tutorial_credentials`]: the tutorial's `request.data.get(...)` with
//!   `if not username or not password: raise ParseError()`.

use lambda_http::http::StatusCode;
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::web::{ApiError, Data, Field};

const REQUIRED: &str = "This field is required.";
const NULL: &str = "This field may not be null.";
const BLANK: &str = "This field may not be blank.";
const INVALID: &str = "Not a valid string.";
const NUL_CHARS: &str = "Null characters are not allowed.";

/// DRF `CharField` (allow_blank off) on one field, trimmed or not.
fn char_field(field: Field<'_>, trim: bool) -> Result<String, &'static str> {
    let raw = match field {
        Field::Missing => return Err(REQUIRED),
        Field::Json(Value::Null) => return Err(NULL),
        Field::Json(Value::String(s)) => s.clone(),
        Field::Text(s) => s.to_owned(),
        Field::Json(Value::Number(n)) => n.to_string(),
        Field::Json(_) => return Err(INVALID),
    };
    let value = if trim { raw.trim() } else { raw.as_str() };
    if value.is_empty() {
        return Err(BLANK);
    }
    if value.contains('\0') {
        return Err(NUL_CHARS);
    }
    Ok(value.to_owned())
}

/// Validates `names` as DRF would; returns their values in order, or the
/// 400 body (`{"field":["message"],...}` or `{"non_field_errors":[...]}`).
pub fn serializer_fields<const N: usize>(
    data: &Data,
    names: [&str; N],
) -> Result<[String; N], ApiError> {
    fields(data, names, true)
}

/// As [`serializer_fields`], for passwords: kept exactly as sent (Django's
/// password form fields do not strip).
pub fn password_fields<const N: usize>(
    data: &Data,
    names: [&str; N],
) -> Result<[SecretString; N], ApiError> {
    Ok(fields(data, names, false)?.map(SecretString::from))
}

fn fields<const N: usize>(
    data: &Data,
    names: [&str; N],
    trim: bool,
) -> Result<[String; N], ApiError> {
    if let Data::Json(Value::Null) = data {
        return Err(bad_request(
            json!({"non_field_errors": ["No data provided"]}),
        ));
    }
    if !data.is_mapping() {
        return Err(bad_request(json!({
            "non_field_errors": [format!(
                "Invalid data. Expected a dictionary, but got {}.",
                data.python_type()
            )]
        })));
    }
    let mut errors = Map::new();
    let values = names.map(|name| match char_field(data.field(name), trim) {
        Ok(v) => v,
        Err(message) => {
            errors.insert(name.to_owned(), json!([message]));
            String::new()
        }
    });
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(bad_request(Value::Object(errors)))
    }
}

fn bad_request(body: Value) -> ApiError {
    ApiError::json(StatusCode::BAD_REQUEST, body)
}

/// Username and password for `login` and `login/jwt`: both must be non-empty
/// strings in a JSON object or form, else 400 `Malformed request.`.
pub fn tutorial_credentials(data: &Data) -> Result<(String, SecretString), ApiError> {
    let text = |name: &str| match data.field(name) {
        Field::Json(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Field::Text(s) if !s.is_empty() => Some(s.to_owned()),
        _ => None,
    };
    match (text("username"), text("password")) {
        (Some(username), Some(password)) => Ok((username, SecretString::from(password))),
        _ => Err(ApiError::malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::to_json;

    fn errors(data: Data) -> String {
        let err = serializer_fields(&data, ["username", "password"]).unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        err.0.body.unwrap()
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
            err.0.body.unwrap(),
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
                to_json(
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
                err.0.body.as_deref(),
                Some(r#"{"detail":"Malformed request."}"#),
                "{bad}"
            );
        }
    }
}
