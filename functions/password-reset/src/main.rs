//! The `password-reset` Lambda: its endpoints on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&password_reset::VIEW, password_reset::handler)
}
