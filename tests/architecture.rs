//! The service's shape, checked from its source: dependencies between the top-level modules of `src/` run one way,
//! down the layers below (the wiring on top, the store and plain types at the bottom), and no import cycle joins two
//! of them. An import is a `crate::` path outside comments, `use crate::{a, b::c}` groups included; the crates
//! under `crates/` need no check here (Cargo refuses a cycle between crates).

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// The layers, top first. A module may import modules of its own layer (if that makes no cycle) and of the layers
/// below it.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "wiring: the binary, CLI commands, the demo, the server",
        &["main", "commands", "extract_command", "demo", "app"],
    ),
    ("HTTP: routes and handlers", &["web"]),
    (
        "front doors: Connect and Forge authentication, host extractors",
        &["host"],
    ),
    (
        "use cases: dashboards, key rotation, delivery",
        &["dashboard", "rotation", "delivery"],
    ),
    (
        "the workflow: requests, their states, commands and write-back",
        &["requests"],
    ),
    (
        "services: Jira, Slack, jobs, data sources, the audit log, the shared parts they run on",
        &["jira", "slack", "jobs", "sources", "audit", "services"],
    ),
    ("metrics", &["metrics"]),
    (
        "how failures answer over HTTP (each module maps its own errors)",
        &["error"],
    ),
    ("the store", &["store"]),
    (
        "plain types and settings",
        &["config", "crypto", "digest", "model", "tenant", "telemetry"],
    ),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module a file belongs to (`src/a.rs` and `src/a/**` → `a`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).expect("under src/");
    let first = rel.components().next().expect("a component");
    let name = first.as_os_str().to_string_lossy();
    name.strip_suffix(".rs").unwrap_or(&name).to_owned()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src/") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `text` without its line comments (`//` at the start of a line or after a space; `://` in a URL stays).
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| {
            let cut = line
                .match_indices("//")
                .find(|(i, _)| line[..*i].trim().is_empty() || line[..*i].ends_with(' '))
                .map_or(line.len(), |(i, _)| i);
            &line[..cut]
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level names after `crate::` in `text`, comments left out.
fn imports(text: &str) -> BTreeSet<String> {
    let code = without_comments(text);
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let after = &code[at + "crate::".len()..];
        if after.starts_with('{') {
            found.extend(group_heads(after));
        } else {
            found.insert(ident(after));
        }
    }
    found.retain(|n| !n.is_empty() && n != "self");
    found
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The first name of each item of the group `group` starts with (`{a::b, c::{d, e}, f}` → a, c, f).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut expecting = false;
    for (i, c) in group.char_indices() {
        match c {
            '{' => {
                depth += 1;
                expecting = depth == 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expecting = true,
            c if depth == 1 && expecting && (c.is_ascii_alphabetic() || c == '_') => {
                heads.push(ident(&group[i..]));
                expecting = false;
            }
            _ => {}
        }
    }
    heads
}

/// Every import between two top-level modules, with the files that make it.
fn graph() -> BTreeMap<(String, String), Vec<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        let from = module_of(&file);
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        for to in imports(&text) {
            if to != from && !EXTERNAL.contains(&to.as_str()) {
                let shown = file.strip_prefix(src()).unwrap().display().to_string();
                edges.entry((from.clone(), to)).or_default().push(shown);
            }
        }
    }
    edges
}

/// Names under `crate::` that are other crates of the workspace, re-exported (`pub use clearance_extract as extract`).
const EXTERNAL: &[&str] = &["extract"];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

/// A cycle in `edges`, if there is one, as the modules along it.
fn a_cycle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    // Depth-first search with colours: 1 on the stack, 2 done.
    fn visit<'a>(
        n: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        colour: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        colour.insert(n, 1);
        stack.push(n);
        for &m in next.get(n).into_iter().flatten() {
            match colour.get(m).copied() {
                Some(1) => {
                    let from = stack.iter().position(|s| *s == m).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        stack[from..].iter().map(|s| s.to_string()).collect();
                    cycle.push(m.to_owned());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, next, colour, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        colour.insert(n, 2);
        None
    }
    let mut colour = BTreeMap::new();
    let starts: Vec<&str> = next.keys().copied().collect();
    for n in starts {
        if !colour.contains_key(n) {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, &next, &mut colour, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn every_module_has_a_layer() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let unplaced: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(f))
        .filter(|m| m != "lib" && layer(m).is_none())
        .collect();
    assert!(
        unplaced.is_empty(),
        "top-level modules without a layer in tests/architecture.rs: {unplaced:?}; add each to LAYERS"
    );
}

#[test]
fn imports_point_down_the_layers() {
    let edges = graph();
    let upward: Vec<String> = edges
        .iter()
        .filter(|((a, b), _)| matches!((layer(a), layer(b)), (Some(la), Some(lb)) if lb < la))
        .map(|((a, b), files)| format!("{a} → {b} (in {})", files.join(", ")))
        .collect();
    assert!(
        upward.is_empty(),
        "imports that point up a layer (move the code, or pass what it needs down):\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_import_cycle_between_modules() {
    let edges: BTreeSet<(String, String)> = graph().into_keys().collect();
    if let Some(cycle) = a_cycle(&edges) {
        panic!("an import cycle between modules: {}", cycle.join(" → "));
    }
}

#[test]
fn the_parser_reads_groups_paths_and_skips_comments() {
    let text = "use crate::{\n    app::AppState,\n    // crate::web::x\n    store::{Store, Tx},\n    self,\n};\nfn f() { crate::jira::adf::doc(); } // crate::slack\n/// [`crate::metrics`]\n";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, ["app", "jira", "store"]);
    let cyclic: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("c", "a")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert!(a_cycle(&cyclic).is_some());
    let acyclic: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("a", "c")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(a_cycle(&acyclic), None);
}
