//! The auth crate reads bottom-up in layers (`shared/src/lib.rs`): a
//! module uses only its own layer and those below. cargo-cycles (in CI)
//! finds cycles between modules; this finds a use of a higher layer even
//! where no cycle closes yet.

use std::path::Path;

use integration_tests::workspace;

/// Each top-level module of the crate and its layer, bottom-up.
const LAYERS: &[(&str, usize)] = &[
    ("base", 0),
    ("settings", 1),
    ("model", 2),
    ("store", 3),
    ("credentials", 4),
    ("app", 5),
    ("policy", 6),
    ("web", 7),
    ("runtime", 8),
    ("fixtures", 8),
];

fn layer(module: &str) -> usize {
    LAYERS
        .iter()
        .find(|(m, _)| *m == module)
        .unwrap_or_else(|| panic!("shared/src/{module}: give it a layer in tests/tests/layers.rs"))
        .1
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_uses_only_its_layer_and_those_below() {
    let src = workspace().join("shared/src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut upward = Vec::new();
    for path in all {
        let relative = path.strip_prefix(&src).unwrap();
        let top = relative.iter().next().unwrap().to_string_lossy();
        let top = top.trim_end_matches(".rs");
        if top == "lib" {
            continue;
        }
        let own = layer(top);
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (i, _) in line.match_indices("crate::") {
                let used: String = line[i + 7..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !used.is_empty() && layer(&used) > own {
                    upward.push(format!(
                        "shared/src/{}:{}: {top} (layer {own}) uses {used} (layer {})",
                        relative.display(),
                        n + 1,
                        layer(&used)
                    ));
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "uses of a higher layer:\n{}",
        upward.join("\n")
    );
}
