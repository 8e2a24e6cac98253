//! The library's layering, checked over its source (`scripts/check-layers.sh` runs this test):
//! no import from a higher layer into a lower one, no cycle between files, and route handlers
//! reach storage only through `service`.
//!
//! An edge runs from a file to the file of every module its non-test code names: `crate::…`,
//! `super::…`, `self::…` and child modules, in `use` trees and in code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module may not name. Layers, lowest first: `error`, `util`, `net`,
/// `config`, `domain` · `store`, `ingest`, `generate`, `quality`, `scripts` · `service` ·
/// `worker` · `api` · `cli`, `ui`.
const FORBIDDEN: &[(&[&str], &[&str])] = &[
    (
        &["error", "util", "net", "config", "domain"],
        &[
            "store", "ingest", "generate", "quality", "scripts", "service", "worker", "api", "cli", "ui",
        ],
    ),
    (
        &["store", "ingest", "generate", "quality", "scripts"],
        &["service", "worker", "api", "cli", "ui"],
    ),
    (&["service"], &["worker", "api", "cli", "ui"]),
    (&["worker"], &["api", "cli", "ui"]),
    (&["api"], &["cli", "ui"]),
];

struct SourceFile {
    module: Vec<String>,
    path: PathBuf,
    /// The code without comments and without the trailing `#[cfg(test)] mod tests`.
    code: String,
}

fn source_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(&root).unwrap().with_extension("");
                let mut module: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if module == ["main"] {
                    continue;
                }
                if module.last().is_some_and(|last| last == "mod" || last == "lib") {
                    module.pop();
                }
                let text = std::fs::read_to_string(&path).unwrap();
                files.push(SourceFile {
                    module,
                    code: strip(&text),
                    path: path.strip_prefix(root.parent().unwrap()).unwrap().to_path_buf(),
                });
            }
        }
    }
    files.sort_by(|a, b| a.module.cmp(&b.module));
    files
}

/// Drops line comments and the unit-test module at the end of a file.
fn strip(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod tests"))
        {
            break;
        }
        let line = match line.find("//") {
            // `://` is a URL in a string, not a comment.
            Some(at) if !line[..at].ends_with(':') => &line[..at],
            _ => line,
        };
        code.push_str(line);
        code.push('\n');
    }
    code
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into full paths.
fn expand_use(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    match tree.find('{') {
        Some(open) => {
            let head = tree[..open].trim_end_matches("::").trim();
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let prefix = join(prefix, head);
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand_use(&prefix, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand_use(&prefix, &inner[start..], out);
        }
        None => {
            let path = tree.split(" as ").next().unwrap().trim();
            out.push(join(prefix, path));
        }
    }
}

fn join(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (_, true) => prefix.to_string(),
        _ => format!("{prefix}::{rest}"),
    }
}

/// Every module path the code names, as written.
fn named_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let compact: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    // `use` trees.
    let mut rest = compact.as_str();
    while let Some(at) = rest.find("use ") {
        let starts_statement = at == 0 || !is_ident_char(rest[..at].chars().last().unwrap());
        let after = &rest[at + 4..];
        let tree = after.find(';').map(|end| (end, &after[..end]));
        // Prose in strings says "use" too: only a well-formed tree counts.
        let well_formed = |tree: &str| {
            tree.chars().all(|c| is_ident_char(c) || " :{},*".contains(c))
                && tree.matches('{').count() == tree.matches('}').count()
        };
        if starts_statement && let Some((end, tree)) = tree.filter(|(_, tree)| well_formed(tree)) {
            expand_use("", tree, &mut paths);
            rest = &after[end..];
        } else {
            rest = after;
        }
    }
    // Paths in code: `ident::ident…`.
    let chars: Vec<char> = compact.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if is_ident_char(chars[i]) && (i == 0 || !(is_ident_char(chars[i - 1]) || chars[i - 1] == ':')) {
            let mut j = i;
            let mut path = String::new();
            loop {
                let start = j;
                while j < chars.len() && is_ident_char(chars[j]) {
                    j += 1;
                }
                path.extend(&chars[start..j]);
                if j + 2 < chars.len() && chars[j] == ':' && chars[j + 1] == ':' && is_ident_char(chars[j + 2]) {
                    path.push_str("::");
                    j += 2;
                } else {
                    break;
                }
            }
            if path.contains("::") {
                paths.push(path);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    paths
}

/// The module a path names, from inside `module` (`None` for other crates).
fn resolve(path: &str, module: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut segments = path.split("::");
    let first = segments.next()?;
    let mut absolute: Vec<String> = match first {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module[..module.len().saturating_sub(1)].to_vec(),
        child => {
            let mut candidate = module.to_vec();
            candidate.push(child.to_string());
            if !modules.contains(&candidate) {
                return None;
            }
            candidate
        }
    };
    for segment in segments {
        if segment == "super" {
            absolute.pop();
        } else {
            absolute.push(segment.to_string());
        }
    }
    // The longest prefix that is a module of its own file.
    (0..=absolute.len())
        .rev()
        .map(|n| absolute[..n].to_vec())
        .find(|prefix| modules.contains(prefix))
}

fn edges(files: &[SourceFile]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut graph = BTreeMap::new();
    for file in files {
        let targets: BTreeSet<Vec<String>> = named_paths(&file.code)
            .iter()
            .filter_map(|path| resolve(path, &file.module, &modules))
            .filter(|target| *target != file.module && !target.is_empty())
            .collect();
        graph.insert(file.module.clone(), targets);
    }
    graph
}

fn show(module: &[String]) -> String {
    format!("crate::{}", module.join("::"))
}

#[test]
fn no_lower_layer_names_a_higher_one() {
    let files = source_files();
    let graph = edges(&files);
    let mut violations = Vec::new();
    for file in &files {
        let Some(top) = file.module.first() else { continue };
        let forbidden: Vec<&str> = FORBIDDEN
            .iter()
            .filter(|(from, _)| from.contains(&top.as_str()))
            .flat_map(|(_, to)| to.iter().copied())
            .collect();
        for target in &graph[&file.module] {
            if forbidden.contains(&target[0].as_str()) {
                violations.push(format!("{} names {}", file.path.display(), show(target)));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports against the layers:\n{}",
        violations.join("\n")
    );
}

#[test]
fn route_handlers_reach_storage_only_through_the_service_layer() {
    let files = source_files();
    let graph = edges(&files);
    let violations: Vec<String> = files
        .iter()
        .filter(|f| f.module.starts_with(&["api".to_string(), "routes".to_string()]))
        .flat_map(|f| {
            graph[&f.module]
                .iter()
                .filter(|target| target[0] == "store")
                .map(move |target| format!("{} names {}", f.path.display(), show(target)))
        })
        .collect();
    assert!(
        violations.is_empty(),
        "handlers calling store directly:\n{}",
        violations.join("\n")
    );
}

fn cycles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    // Depth-first search with colours: an edge back to a file on the stack closes a cycle.
    let mut state: BTreeMap<&Vec<String>, u8> = BTreeMap::new();
    let mut cycles = Vec::new();
    fn visit<'a>(
        node: &'a Vec<String>,
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<&'a Vec<String>, u8>,
        stack: &mut Vec<&'a Vec<String>>,
        cycles: &mut Vec<Vec<Vec<String>>>,
    ) {
        state.insert(node, 1);
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                0 => visit(next, graph, state, stack, cycles),
                1 => {
                    let from = stack.iter().position(|m| *m == next).unwrap();
                    let mut cycle: Vec<Vec<String>> = stack[from..].iter().map(|m| m.to_vec()).collect();
                    cycle.push(next.clone());
                    cycles.push(cycle);
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node, 2);
    }
    for node in graph.keys() {
        if state.get(node).copied().unwrap_or(0) == 0 {
            visit(node, graph, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    cycles
}

#[test]
fn no_files_form_a_cycle() {
    let graph = edges(&source_files());
    let found: Vec<String> = cycles(&graph)
        .into_iter()
        .map(|cycle| cycle.iter().map(|m| show(m)).collect::<Vec<_>>().join(" → "))
        .collect();
    assert!(found.is_empty(), "cycles between files:\n{}", found.join("\n"));
}

#[test]
fn no_top_level_modules_form_a_cycle() {
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (from, targets) in edges(&source_files()) {
        let Some(top) = from.first() else { continue };
        let entry = graph.entry(vec![top.clone()]).or_default();
        entry.extend(targets.iter().filter(|t| t[0] != *top).map(|t| vec![t[0].clone()]));
    }
    let found: Vec<String> = cycles(&graph)
        .into_iter()
        .map(|cycle| cycle.iter().map(|m| show(m)).collect::<Vec<_>>().join(" → "))
        .collect();
    assert!(found.is_empty(), "cycles between layers:\n{}", found.join("\n"));
}

#[test]
fn the_checker_sees_use_trees_relative_paths_and_test_modules() {
    let mut paths = Vec::new();
    expand_use("", "crate::store::{self, jobs::{Job, Lease as L}, Db}", &mut paths);
    assert_eq!(
        paths,
        [
            "crate::store::self",
            "crate::store::jobs::Job",
            "crate::store::jobs::Lease",
            "crate::store::Db"
        ]
    );
    let code = strip(
        "use super::x; // crate::api::y\nfn f() { crate::api::z(); }\n#[cfg(test)]\nmod tests {\n use crate::cli; }\n",
    );
    let named = named_paths(&code);
    assert!(
        named.contains(&"super::x".to_string()) && named.contains(&"crate::api::z".to_string()),
        "{named:?}"
    );
    assert!(
        !named.iter().any(|p| p.contains("api::y") || p.contains("cli")),
        "{named:?}"
    );
    let modules: BTreeSet<Vec<String>> = [vec![], vec!["a".to_string()], vec!["a".to_string(), "b".to_string()]].into();
    let inside_b = ["a".to_string(), "b".to_string()];
    assert_eq!(resolve("super::Item", &inside_b, &modules), Some(vec!["a".to_string()]));
    assert_eq!(resolve("crate::a::b::f", &[], &modules), Some(inside_b.to_vec()));
    assert_eq!(resolve("b::f", &["a".to_string()], &modules), Some(inside_b.to_vec()));
    assert_eq!(resolve("std::fmt", &inside_b, &modules), None);
}
