//! The documents stay true: the contract in `docs/API.md` starts with the
//! shared contract verbatim, and the README's settings table names every
//! setting of `settings::TABLE` with its default.

use integration_tests::auth::settings::TABLE;
use integration_tests::workspace;

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn docs_api_md_starts_with_the_shared_contract_verbatim() {
    let shared = workspace().join("../shared/API.md");
    let Ok(upstream) = std::fs::read_to_string(&shared) else {
        eprintln!("skipped: no {} beside the project", shared.display());
        return;
    };
    let ours = read("docs/API.md");
    assert!(
        ours.starts_with(upstream.trim_end()),
        "docs/API.md no longer starts with ../shared/API.md: copy it again"
    );
}

#[test]
fn the_readme_settings_table_is_settings_table() {
    let readme = read("README.md");
    let section = readme
        .split("## Settings")
        .nth(1)
        .expect("a Settings section")
        .split("\n## ")
        .next()
        .unwrap();
    // `| `NAME` | `default` | meaning |` rows; "empty" and "—" for none.
    let mut rows: Vec<(String, String)> = section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let default = match *cells.get(2)? {
                "empty" | "—" => "",
                d => d.trim_matches('`'),
            };
            Some((name.to_owned(), default.to_owned()))
        })
        .collect();
    rows.retain(|(name, _)| !matches!(name.as_str(), "SIGNING_KEYS" | "SIGNING_KEY"));
    rows.sort();
    let mut table: Vec<(String, String)> = TABLE
        .iter()
        .map(|s| (s.variable.to_owned(), s.default.to_owned()))
        .collect();
    table.sort();
    assert_eq!(rows, table, "README settings vs settings::TABLE");
}
