//! The README stays in step with the code: every environment variable the configuration reads,
//! and every route the server registers, is documented there.

use crate::support::spawn_app;
use std::collections::BTreeSet;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

#[test]
fn every_configuration_variable_is_in_the_readme() {
    let config = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/config.rs")).unwrap();
    let variable = regex::Regex::new(r#""((?:PERSONA|OPENAI|ANTHROPIC|GEMINI|GOOGLE|OLLAMA)_[A-Z_]+)""#).unwrap();
    let names: BTreeSet<&str> = variable
        .captures_iter(&config)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert!(names.len() > 40, "the pattern finds the variables: {names:?}");
    let readme = readme();
    let missing: Vec<&&str> = names
        .iter()
        .filter(|name| !readme.contains(&format!("`{name}`")))
        .collect();
    assert!(missing.is_empty(), "not documented in README.md: {missing:?}");
}

/// The README's configuration table against `config::ENV_VARS`: each documented key
/// (`| `server.port` | `PERSONA_SERVER_PORT` | …`) is set by exactly the variables it names.
#[test]
fn every_documented_config_key_has_its_environment_variable() {
    let row = regex::Regex::new(r"(?m)^\| `([a-z_]+(?:\.[a-z_]+)+)`[^|]*\|([^|]*)\|").unwrap();
    let quoted = regex::Regex::new(r"`([A-Z][A-Z0-9_]+)`").unwrap();
    let readme = readme();
    let section = readme
        .split("\n## Configuration\n")
        .nth(1)
        .expect("a Configuration section");
    let section = section.split("\n## ").next().unwrap();
    let mut documented = 0;
    for row in row.captures_iter(section) {
        let key = &row[1];
        let names: Vec<&str> = quoted
            .captures_iter(&row[2])
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        let var = persona::config::ENV_VARS.iter().find(|v| v.key == key);
        let var = var.unwrap_or_else(|| panic!("README documents {key} but no environment variable sets it"));
        assert_eq!(var.names, names.as_slice(), "variables of {key}");
        documented += 1;
    }
    assert!(documented > 40, "the pattern finds the table rows: {documented}");
}

/// `/api/v1/jobs/{job_id}` → `/api/v1/jobs/{}`: the README may name parameters more briefly.
fn without_parameter_names(text: &str) -> String {
    regex::Regex::new(r"\{[a-z_]+\}")
        .unwrap()
        .replace_all(text, "{}")
        .into_owned()
}

#[tokio::test]
async fn every_route_is_in_the_readme() {
    let app = spawn_app(|_| {}).await;
    let spec: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    let readme = without_parameter_names(&readme());
    let mut missing = Vec::new();
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            let route = format!("{} {}", method.to_uppercase(), without_parameter_names(path));
            if !readme.contains(&route) {
                missing.push(route);
            }
        }
    }
    assert!(missing.is_empty(), "routes missing from README.md: {missing:?}");
}
