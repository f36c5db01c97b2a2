//! The layers of ARCHITECTURE.md, checked on the source: every `crate::` and
//! `super::` path in `src/` is an arrow from its module to the module it
//! names. Arrows go only downward (cmd → trust → store → aws | net →
//! error | text), commands never import each other, only `cmd` and `main`
//! read `cli`, and the module graph has no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module's path (`trust::policy`, `cmd`, `main`) for a file under `src/`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The code of a file without comments and without its `#[cfg(test)]` module
/// (tests may reach anywhere).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path that starts at `prefix` (`crate::` or `super::`), with brace
/// groups expanded: `crate::{aws, trust::{a, b}}` → aws, trust::a, trust::b.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        expand("", rest, &mut found);
    }
    found
}

/// Reads one path (or brace group) at the start of `text`, appending the full
/// paths to `found`; returns how many bytes it used.
fn expand(base: &str, text: &str, found: &mut Vec<String>) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut path = base.to_string();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'{' {
            i += 1;
            loop {
                i += expand(&path, &text[i..], found);
                while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    return i + 1;
                }
            }
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        let word = &text[start..i];
        if word.is_empty() {
            break;
        }
        if word != "self" {
            if !path.is_empty() {
                path.push_str("::");
            }
            path.push_str(word);
        }
        if text[i..].starts_with("::") {
            i += 2;
        } else {
            break;
        }
    }
    if !path.is_empty() {
        found.push(path);
    }
    i
}

/// The longest known module that `path` starts with.
fn target(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|m| modules.contains(m))
}

fn layer(module: &str) -> &str {
    module.split("::").next().unwrap()
}

/// Lower is further down; `None` for `cli` and `lib`, which have rules of their own.
fn rank(layer: &str) -> Option<u8> {
    Some(match layer {
        "main" => 5,
        "cmd" => 4,
        "trust" => 3,
        "store" => 2,
        "aws" | "net" => 1,
        "error" | "text" => 0,
        _ => return None,
    })
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        let code = code(&std::fs::read_to_string(file).unwrap());
        let parent = match module.rsplit_once("::") {
            Some((parent, _)) if !file.ends_with("mod.rs") => parent.to_string(),
            _ if file.ends_with("mod.rs") => module.rsplit_once("::").map_or("", |p| p.0).into(),
            _ => String::new(),
        };
        let mut arrows = BTreeSet::new();
        let absolute = paths_after(&code, "crate::");
        let relative = paths_after(&code, "super::")
            .into_iter()
            .map(|p| format!("{parent}::{p}"));
        for path in absolute.into_iter().chain(relative) {
            if let Some(to) = target(&path, &modules)
                && to != module
            {
                arrows.insert(to);
            }
        }
        graph.insert(module, arrows);
    }
    graph
}

#[test]
fn the_graph_is_read_from_the_source() {
    let graph = graph();
    // If parsing broke, every later check would pass vacuously.
    assert!(
        graph["cmd::proxy"].contains("trust::connection"),
        "{graph:#?}"
    );
    assert!(
        graph["trust::connection"].contains("trust::policy"),
        "{graph:#?}"
    );
    assert!(graph["cmd::proxy"].contains("cmd::settings"), "{graph:#?}");
    assert!(graph["trust::policy"].contains("aws"), "{graph:#?}");
    assert!(graph["store::seeds"].contains("store::files"), "{graph:#?}");
    assert!(graph.len() > 30);
}

#[test]
fn arrows_only_point_down() {
    let mut wrong = Vec::new();
    for (from, arrows) in graph() {
        for to in arrows {
            let (a, b) = (layer(&from), layer(&to));
            let allowed = match (a, b) {
                (_, "cli") => matches!(a, "cmd" | "main"),
                ("cli", _) => false,
                ("lib", _) => true,
                ("cmd", "cmd") => {
                    // A command may use the settings step, never another command.
                    matches!(to.as_str(), "cmd" | "cmd::settings" | "cmd::config")
                }
                _ if a == b => true,
                _ => match (rank(a), rank(b)) {
                    (Some(x), Some(y)) => y < x,
                    _ => false,
                },
            };
            if !allowed {
                wrong.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers (ARCHITECTURE.md):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = graph();
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn expand_reads_groups_and_nested_paths() {
    let mut found = Vec::new();
    expand("", "{aws::{self, ec2::{Ec2, Instance}}, text};", &mut found);
    assert_eq!(
        found,
        ["aws", "aws::ec2::Ec2", "aws::ec2::Instance", "text"]
    );
}
