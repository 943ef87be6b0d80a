//! The `password-change` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&password_change::VIEW, password_change::handler)
}
