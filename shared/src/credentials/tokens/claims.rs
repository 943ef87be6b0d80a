//! What the claims of a token say, read the way PyJWT and simplejwt read
//! them: the token type, time claims as Python's `int()`, user ids strictly,
//! the registered claims' checks, and why a token is refused.

use serde_json::Value;

use crate::base::jwt::Claims;

/// `token_type` claim values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    Access,
    Refresh,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Access => "access",
            TokenType::Refresh => "refresh",
        }
    }
}

/// Why a simplejwt token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Bad signature, garbage, expired, not yet valid, badly typed claims.
    InvalidOrExpired,
    NoExp,
    NoId,
    NoType,
    WrongType,
    /// Revoked: blacklisted, rotated, of a revoked family, or issued before
    /// its user's password change or logout everywhere.
    Blacklisted,
}

/// The `gen` claim: absent is 0; anything but a non-negative integer is None
/// (never current).
pub fn claim_gen(claims: &Claims) -> Option<u64> {
    match claims.get("gen") {
        None => Some(0),
        Some(v) => v.as_u64(),
    }
}

/// How a user id claim (`user_id` or `id`) reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserIdClaim {
    /// An id that may exist.
    Id(u64),
    /// A number that no user can have (negative, zero, too large), or null.
    NoSuchUser,
    /// Not an id at all (text, float, bool, list, object).
    Unrecognizable,
}

/// Reads a user id the strict way: a JSON integer or a string of digits.
pub fn user_id_claim(value: &Value) -> UserIdClaim {
    match value {
        Value::Null => UserIdClaim::NoSuchUser,
        Value::Number(n) if n.is_u64() || n.is_i64() => match n.as_u64() {
            Some(0) | None => UserIdClaim::NoSuchUser,
            Some(id) if id > i64::MAX as u64 => UserIdClaim::NoSuchUser,
            Some(id) => UserIdClaim::Id(id),
        },
        Value::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix('+').unwrap_or(t);
            let negative =
                t.starts_with('-') && t[1..].bytes().all(|b| b.is_ascii_digit()) && t.len() > 1;
            if negative {
                UserIdClaim::NoSuchUser
            } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                match digits.parse::<u64>() {
                    Ok(0) | Err(_) => UserIdClaim::NoSuchUser,
                    Ok(id) if id > i64::MAX as u64 => UserIdClaim::NoSuchUser,
                    Ok(id) => UserIdClaim::Id(id),
                }
            } else {
                UserIdClaim::Unrecognizable
            }
        }
        _ => UserIdClaim::Unrecognizable,
    }
}

/// Python's `int(x)` for a JSON value, saturating at the `i64` range: numbers
/// (floats truncate), booleans, and strings of digits with optional sign,
/// surrounding whitespace and single underscores between digits.
pub fn py_int(value: &Value) -> Option<i64> {
    match value {
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i)
            } else if n.is_u64() {
                Some(i64::MAX)
            } else {
                let f = n.as_f64()?;
                if f.is_finite() {
                    // `as` saturates at the i64 range and truncates toward zero.
                    Some(f as i64)
                } else {
                    None
                }
            }
        }
        Value::String(s) => {
            let t = s.trim();
            let (negative, body) = match t.as_bytes().first() {
                Some(b'-') => (true, &t[1..]),
                Some(b'+') => (false, &t[1..]),
                _ => (false, t),
            };
            let valid = !body.is_empty()
                && !body.starts_with('_')
                && !body.ends_with('_')
                && !body.contains("__")
                && body.bytes().all(|b| b.is_ascii_digit() || b == b'_');
            if !valid {
                return None;
            }
            let digits: String = body.chars().filter(|c| *c != '_').collect();
            Some(match digits.parse::<i64>() {
                Ok(v) if negative => -v,
                Ok(v) => v,
                Err(_) if negative => i64::MIN,
                Err(_) => i64::MAX,
            })
        }
        _ => None,
    }
}

/// PyJWT's registered-claim checks, in its order (iat, nbf, exp, sub, jti).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimError {
    /// `iat`/`nbf`/`exp`/`sub`/`jti` of the wrong type, or not yet valid.
    Invalid,
    Expired,
}

pub fn check_registered_claims(claims: &Claims, now: i64) -> Result<(), ClaimError> {
    if let Some(iat) = claims.get("iat") {
        let iat = py_int(iat).ok_or(ClaimError::Invalid)?;
        if iat > now {
            return Err(ClaimError::Invalid);
        }
    }
    if let Some(nbf) = claims.get("nbf") {
        let nbf = py_int(nbf).ok_or(ClaimError::Invalid)?;
        if nbf > now {
            return Err(ClaimError::Invalid);
        }
    }
    if let Some(exp) = claims.get("exp") {
        let exp = py_int(exp).ok_or(ClaimError::Invalid)?;
        if exp <= now {
            return Err(ClaimError::Expired);
        }
    }
    if claims.get("sub").is_some_and(|s| !s.is_string()) {
        return Err(ClaimError::Invalid);
    }
    if claims.get("jti").is_some_and(|s| !s.is_string()) {
        return Err(ClaimError::Invalid);
    }
    Ok(())
}

/// Python truthiness of a JSON value.
pub fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn time_claims_read_like_python_int() {
        assert_eq!(py_int(&json!(5)), Some(5));
        assert_eq!(py_int(&json!(5.9)), Some(5));
        assert_eq!(py_int(&json!(-5.9)), Some(-5));
        assert_eq!(py_int(&json!(" 12 ")), Some(12));
        assert_eq!(py_int(&json!("1_000")), Some(1000));
        assert_eq!(py_int(&json!("-3")), Some(-3));
        assert_eq!(py_int(&json!(true)), Some(1));
        assert_eq!(py_int(&json!(1e300)), Some(i64::MAX));
        assert_eq!(py_int(&json!(u64::MAX)), Some(i64::MAX));
        assert_eq!(py_int(&json!("99999999999999999999999")), Some(i64::MAX));
        for bad in [
            json!("1.5"),
            json!("_1"),
            json!("1__0"),
            json!(""),
            json!(null),
            json!([1]),
        ] {
            assert_eq!(py_int(&bad), None, "{bad}");
        }
    }

    #[test]
    fn user_ids_are_read_strictly() {
        assert_eq!(user_id_claim(&json!(1)), UserIdClaim::Id(1));
        assert_eq!(user_id_claim(&json!("1")), UserIdClaim::Id(1));
        assert_eq!(user_id_claim(&json!("-1")), UserIdClaim::NoSuchUser);
        assert_eq!(user_id_claim(&json!(-1)), UserIdClaim::NoSuchUser);
        assert_eq!(user_id_claim(&json!(u64::MAX)), UserIdClaim::NoSuchUser);
        assert_eq!(
            user_id_claim(&json!("99999999999999999999999")),
            UserIdClaim::NoSuchUser
        );
        assert_eq!(user_id_claim(&json!(null)), UserIdClaim::NoSuchUser);
        for bad in [
            json!("abc"),
            json!(1.0),
            json!(true),
            json!([1]),
            json!({"id":1}),
            json!(""),
        ] {
            assert_eq!(user_id_claim(&bad), UserIdClaim::Unrecognizable, "{bad}");
        }
    }
}
