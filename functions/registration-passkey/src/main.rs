//! The `registration-passkey` Lambda: its endpoints on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&registration_passkey::VIEW, registration_passkey::handler)
}
