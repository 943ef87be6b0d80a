//! The `login-mfa` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&login_mfa::VIEW, login_mfa::handler)
}
