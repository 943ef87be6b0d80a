//! Every setting of the service, read once per cold start from the
//! environment and the settings parameter (`runtime.rs`).
//!
//! Each setting is written once, in the [`settings!`] table below: its
//! group, field, type, environment variable, default and meaning. The table
//! generates the group structs, their parsing and [`TABLE`] (what the
//! README's settings table is tested against). Names and defaults are
//! simplejwt's `SIMPLE_JWT` and Django's where those exist.
//!
//! The signing keys are the one setting outside the table: they come from
//! either of two variables (or SSM, see `runtime.rs`) and are secrets.

mod environment;
mod table;
mod values;

pub use environment::{Settings, parse_key_list};
pub use table::*;
pub use values::*;
