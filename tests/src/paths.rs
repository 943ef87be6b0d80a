//! Where things are: the workspace, and the tools in `.tools/`.

use std::path::PathBuf;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// A tool from `.tools/bin` (the project virtualenv) or else `PATH`.
pub fn tool(name: &str) -> PathBuf {
    let local = workspace().join(".tools/bin").join(name);
    if local.exists() {
        local
    } else {
        PathBuf::from(name)
    }
}
