//! `persona script` as a user runs it.

use crate::quality::{persona_cli, personas_json, stderr, stdout, write_json};
use persona::domain::Persona;
use persona::scripts::{CharacterCard, ScriptFormat, ScriptOptions, generate_script};

fn personas_file(dir: &std::path::Path) -> String {
    let file = dir.join("personas.json");
    write_json(&file, &personas_json());
    file.to_str().unwrap().to_string()
}

#[test]
fn character_card_is_byte_identical_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = personas_file(dir.path());
    let first = persona_cli(&["script", &file, "--persona-id", "persona-aaaa00000001"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let second = persona_cli(&["script", &file, "--index", "0"]);
    assert_eq!(first.stdout, second.stdout);
    let card: CharacterCard = serde_json::from_str(&stdout(&first)).unwrap();
    assert_eq!(card.identity.name, "Maya Okafor");
    assert_eq!(card.provenance.source_persona_id, "persona-aaaa00000001");
    // the CLI prints exactly what the library generates
    let persona: Persona = serde_json::from_value(personas_json()[0].clone()).unwrap();
    let library = generate_script(&persona, &ScriptOptions::default()).unwrap();
    assert_eq!(stdout(&first), format!("{}\n", library.output));
}

#[test]
fn yaml_system_prompt_and_template_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = personas_file(dir.path());
    let yaml = persona_cli(&["script", &file, "--index", "0", "--yaml"]);
    assert_eq!(yaml.status.code(), Some(0), "{}", stderr(&yaml));
    assert!(stdout(&yaml).starts_with("id: script-"), "{}", stdout(&yaml));

    let out_file = dir.path().join("prompt.txt");
    let prompt = persona_cli(&[
        "script",
        &file,
        "--index",
        "0",
        "--format",
        "system_prompt",
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(prompt.status.code(), Some(0), "{}", stderr(&prompt));
    assert!(stdout(&prompt).is_empty());
    assert!(stderr(&prompt).starts_with("wrote system_prompt script script-"));
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        text.starts_with("You are Maya Okafor, The Road-Warrior Seller.\n"),
        "{text}"
    );
    assert!(text.ends_with("[SYNTHETIC_PERSONA_SCRIPT]\n"));

    let template = dir.path().join("brief.txt");
    std::fs::write(&template, "{{identity.name}} / {{communication_style.tone}}\n").unwrap();
    let custom = persona_cli(&[
        "script",
        &file,
        "--index",
        "1",
        "--format",
        "template",
        "--template",
        template.to_str().unwrap(),
    ]);
    assert_eq!(custom.status.code(), Some(0), "{}", stderr(&custom));
    assert_eq!(stdout(&custom), "user / direct and impatient\n");

    let yaml_prompt = persona_cli(&["script", &file, "--index", "0", "--format", "system_prompt", "--yaml"]);
    assert_eq!(yaml_prompt.status.code(), Some(2), "a usage error");
    assert!(stderr(&yaml_prompt).starts_with("error: yaml: applies to format character_card only"));
}

#[test]
fn a_leaking_persona_is_blocked_with_findings_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let mut leaky = personas_json()[0].clone();
    leaky["title"] = "The P031 seller".into();
    leaky["demographics"]["location"] = "maya.okafor@example.com".into();
    let file = dir.path().join("leaky.json");
    write_json(&file, &leaky);
    let out_file = dir.path().join("card.json");
    let out = persona_cli(&["script", file.to_str().unwrap(), "-o", out_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    assert!(!out_file.exists(), "nothing may be written when the audit blocks");
    let err = stderr(&out);
    assert!(
        err.starts_with("error: privacy audit failed for persona 'persona-aaaa00000001': leakage score 1.000"),
        "{err}"
    );
    assert!(
        err.contains("[participant_id] 'P031' from participants in identity.title"),
        "{err}"
    );
    assert!(err.contains("[email] 'maya.okafor@example.com'"), "{err}");
}

#[test]
fn a_quote_in_the_title_is_blocked_unless_the_threshold_allows_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut leaky = personas_json()[0].clone();
    leaky["title"] = "The one who spends evenings typing up notes I already said out loud".into();
    let file = dir.path().join("leaky.json");
    write_json(&file, &leaky);
    let path = file.to_str().unwrap();
    let blocked = persona_cli(&["script", path]);
    assert_eq!(blocked.status.code(), Some(1));
    assert!(stderr(&blocked).contains("[sequence_overlap]"), "{}", stderr(&blocked));
    let allowed = persona_cli(&["script", path, "--threshold", "0.2"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    let bad = persona_cli(&["script", path, "--threshold", "1.5"]);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(stderr(&bad), "error: --threshold must be between 0 and 1 (got 1.5)\n");
}

#[test]
fn choosing_a_persona() {
    let dir = tempfile::tempdir().unwrap();
    let file = personas_file(dir.path());
    let ambiguous = persona_cli(&["script", &file]);
    assert_eq!(ambiguous.status.code(), Some(2));
    assert!(stderr(&ambiguous).contains("holds 2 personas; choose one with --persona-id or --index"));
    let unknown = persona_cli(&["script", &file, "--persona-id", "persona-zz"]);
    assert!(
        stderr(&unknown).contains("no persona with id 'persona-zz' (ids: persona-aaaa00000001, persona-bbbb00000002)")
    );
    let out_of_range = persona_cli(&["script", &file, "--index", "2"]);
    assert!(stderr(&out_of_range).contains("--index 2 is out of range (2 persona(s))"));
}

#[test]
fn library_formats_all_pass_for_a_normal_persona() {
    let persona: Persona = serde_json::from_value(personas_json()[0].clone()).unwrap();
    for format in [
        ScriptFormat::CharacterCard,
        ScriptFormat::SystemPrompt,
        ScriptFormat::Template,
    ] {
        let options = ScriptOptions {
            format,
            ..ScriptOptions::default()
        };
        let result = generate_script(&persona, &options).unwrap();
        assert!(result.privacy_audit.passed);
        assert!(result.output.contains("Maya Okafor"));
        assert!(result.output.contains("SYNTHETIC_PERSONA_SCRIPT"));
    }
}
