//! The `logout-all` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&logout_all::VIEW, logout_all::handler)
}
