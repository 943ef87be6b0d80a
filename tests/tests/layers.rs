//! The workspace's module structure.
//!
//! - No cycles: no module depends, through any chain, on itself. Every
//!   path a module names counts (`use` items, types, functions called by
//!   path, `super::`), and a parent depends on the children it declares.
//!   (cargo-cycles, which CI also runs, counts only paths ending in a type.)
//! - The auth crate's layers (`shared/src/lib.rs`): a module uses only its
//!   own layer and those below, even where no cycle closes yet.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use integration_tests::workspace;
use syn::visit::Visit;

/// Each top-level module of the auth crate and its layer, bottom-up.
const LAYERS: &[(&str, usize)] = &[
    ("base", 0),
    ("settings", 1),
    ("model", 2),
    ("store", 3),
    ("credentials", 4),
    ("mail", 4),
    ("app", 5),
    ("policy", 6),
    ("accounts", 6),
    ("web", 7),
    ("runtime", 8),
    ("fixtures", 8),
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A module's path within its crate (`base::time`; the root is empty).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

fn join(base: &str, tail: &str) -> String {
    match (base.is_empty(), tail.is_empty()) {
        (true, _) => tail.to_owned(),
        (_, true) => base.to_owned(),
        _ => format!("{base}::{tail}"),
    }
}

fn parent(module: &str) -> String {
    module
        .rsplit_once("::")
        .map_or(String::new(), |(p, _)| p.to_owned())
}

/// Every path one file names, as (segments, line, the inline modules it
/// is inside: `super` in a file's `mod tests` is the file's module).
#[derive(Default)]
struct Paths {
    found: Vec<(Vec<String>, usize, Vec<String>)>,
    inline: Vec<String>,
}

impl Paths {
    fn add_use(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>, line: usize) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.add_use(&p.tree, prefix, line);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut path = prefix.clone();
                if n.ident != "self" {
                    path.push(n.ident.to_string());
                }
                self.found.push((path, line, self.inline.clone()));
            }
            syn::UseTree::Rename(r) => {
                let mut path = prefix.clone();
                path.push(r.ident.to_string());
                self.found.push((path, line, self.inline.clone()));
            }
            syn::UseTree::Glob(_) => self.found.push((prefix.clone(), line, self.inline.clone())),
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.add_use(tree, prefix, line);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, node: &'ast syn::ItemUse) {
        let line = syn::spanned::Spanned::span(node).start().line;
        self.add_use(&node.tree, &mut Vec::new(), line);
    }

    fn visit_path(&mut self, node: &'ast syn::Path) {
        let line = syn::spanned::Spanned::span(node).start().line;
        let segments = node.segments.iter().map(|s| s.ident.to_string()).collect();
        self.found.push((segments, line, self.inline.clone()));
        syn::visit::visit_path(self, node);
    }

    /// `pub(crate)`, `pub(super)`: where an item is visible, not a use.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_item_mod(&mut self, node: &'ast syn::ItemMod) {
        if node.content.is_none() {
            let line = syn::spanned::Spanned::span(node).start().line;
            let path = vec!["self".into(), node.ident.to_string()];
            self.found.push((path, line, self.inline.clone()));
        }
        self.inline.push(node.ident.to_string());
        syn::visit::visit_item_mod(self, node);
        self.inline.pop();
    }
}

/// One crate's module graph: module → (module it names → where).
fn graph(src: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut all = Vec::new();
    files(src, &mut all);
    let modules: BTreeSet<String> = all.iter().map(|f| module_of(src, f)).collect();
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in &all {
        let me = module_of(src, file);
        let text = std::fs::read_to_string(file).unwrap();
        let syntax = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut paths = Paths::default();
        paths.visit_file(&syntax);
        for (segments, line, inline) in paths.found {
            let (mut base, rest) = match segments.first().map(String::as_str) {
                Some("crate") => (String::new(), &segments[1..]),
                Some("self") if inline.is_empty() => (me.clone(), &segments[1..]),
                // Within the file's own inline modules.
                Some("self") => continue,
                Some("super") => {
                    let ups = segments.iter().take_while(|s| *s == "super").count();
                    // `super` out of an inline module stays in the file.
                    let Some(out) = ups.checked_sub(inline.len()) else {
                        continue;
                    };
                    let mut base = me.clone();
                    for _ in 0..out {
                        base = parent(&base);
                    }
                    (base, &segments[ups..])
                }
                _ => continue,
            };
            // The longest prefix that is a module.
            let mut target = base.clone();
            for segment in rest {
                base = join(&base, segment);
                if modules.contains(&base) {
                    target = base.clone();
                }
            }
            if target != me {
                let place = format!(
                    "{}:{line}",
                    file.strip_prefix(workspace()).unwrap().display()
                );
                edges
                    .entry(me.clone())
                    .or_default()
                    .entry(target)
                    .or_insert(place);
            }
        }
    }
    edges
}

/// A cycle through `start`, if any: the modules and where each names the next.
fn cycle_from(
    start: &str,
    edges: &BTreeMap<String, BTreeMap<String, String>>,
) -> Option<Vec<(String, String)>> {
    // Breadth-first: the shortest way back to `start`.
    let mut came_from: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.to_owned()]);
    while let Some(module) = queue.pop_front() {
        for (next, place) in edges.get(&module).into_iter().flatten() {
            if next == start {
                let mut cycle = vec![(module.clone(), place.clone())];
                let mut at = module.clone();
                while let Some((prev, place)) = came_from.get(&at) {
                    cycle.push((prev.clone(), place.clone()));
                    at = prev.clone();
                }
                cycle.reverse();
                return Some(cycle);
            }
            if next != start && !came_from.contains_key(next) {
                came_from.insert(next.clone(), (module.clone(), place.clone()));
                queue.push_back(next.clone());
            }
        }
    }
    None
}

/// Every crate of the workspace: its `src/` (the Lambda crates, the auth
/// crate, the test harness) and the contract suite.
fn crate_sources() -> Vec<PathBuf> {
    let root = workspace();
    let mut sources = vec![
        root.join("shared/src"),
        root.join("tests/src"),
        root.join("tests/tests/contract"),
    ];
    for entry in std::fs::read_dir(root.join("functions")).unwrap() {
        sources.push(entry.unwrap().path().join("src"));
    }
    sources
}

#[test]
fn no_module_depends_on_itself() {
    let mut found = Vec::new();
    for src in crate_sources() {
        let edges = graph(&src);
        let mut reported = BTreeSet::new();
        for module in edges.keys() {
            if reported.contains(module) {
                continue;
            }
            if let Some(cycle) = cycle_from(module, &edges) {
                let names: Vec<String> = cycle.iter().map(|(m, _)| m.clone()).collect();
                reported.extend(names.iter().cloned());
                let steps: Vec<String> = cycle
                    .iter()
                    .map(|(m, place)| {
                        format!("  {} ({place})", if m.is_empty() { "crate" } else { m })
                    })
                    .collect();
                found.push(format!("{}:\n{}", src.display(), steps.join("\n")));
            }
        }
    }
    assert!(
        found.is_empty(),
        "module cycles (each module, and where it names the next):\n{}",
        found.join("\n")
    );
}

#[test]
fn every_module_of_the_auth_crate_uses_only_its_layer_and_those_below() {
    let layer = |module: &str| -> usize {
        let top = module.split("::").next().unwrap_or(module);
        LAYERS
            .iter()
            .find(|(m, _)| *m == top)
            .unwrap_or_else(|| panic!("shared/src/{top}: give it a layer in tests/tests/layers.rs"))
            .1
    };
    let mut upward = Vec::new();
    for (module, targets) in graph(&workspace().join("shared/src")) {
        if module.is_empty() {
            continue;
        }
        for (target, place) in targets {
            if !target.is_empty() && layer(&target) > layer(&module) {
                upward.push(format!(
                    "{place}: {module} (layer {}) uses {target} (layer {})",
                    layer(&module),
                    layer(&target)
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "uses of a higher layer:\n{}",
        upward.join("\n")
    );
}
