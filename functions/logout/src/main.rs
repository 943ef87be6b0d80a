//! The `logout` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&logout::VIEW, logout::handler)
}
