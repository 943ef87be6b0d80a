//! The `login-passkey` Lambda: its endpoints on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&login_passkey::VIEW, login_passkey::handler)
}
