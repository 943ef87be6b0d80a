//! How a command fails: what to tell the operator, and the exit code.

use auth::store::StoreError;

pub const EXIT_CODES: &str = "Exit codes: 0 success, 1 bad input, 2 usage error, 3 no such user, \
4 username or address taken, 5 DynamoDB unavailable, 6 import finished with records skipped.";

pub enum Failure {
    BadInput(String),
    NoSuchUser(String),
    Taken(String),
    EmailTaken(String),
    Store(StoreError),
    Skipped(usize),
}

impl Failure {
    /// What to tell the user, and the exit code.
    pub fn report(self) -> (String, u8) {
        match self {
            Failure::BadInput(msg) => (msg, 1),
            Failure::NoSuchUser(name) => (format!("no such user: {name}"), 3),
            Failure::Taken(name) => (format!("username already taken: {name}"), 4),
            Failure::EmailTaken(email) => (
                format!("another user has the address {email} (compared case-insensitively)"),
                4,
            ),
            Failure::Store(e) => (e.to_string(), 5),
            Failure::Skipped(n) => (format!("{n} records skipped (listed above)"), 6),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

/// Bad input, worded by `e`.
pub fn bad(e: impl std::fmt::Display) -> Failure {
    Failure::BadInput(e.to_string())
}
