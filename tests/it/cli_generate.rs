//! `persona generate` run as a user would: the real binary on files in a temporary folder.

use persona::domain::Persona;
use persona::generate::synthetic::{PlantedCorpus, PlantedSpec};
use std::path::Path;
use std::process::{Command, Output};

fn persona(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_persona"))
        .args(args)
        .current_dir(dir)
        .env_remove("PERSONA_CONFIG")
        .env_remove("PERSONA_STORAGE_OUTPUT_DIR")
        .env_remove("RUST_LOG")
        .output()
        .expect("the binary runs")
}

fn planted_csv(dir: &Path) {
    PlantedCorpus::generate(&PlantedSpec::equal(3, 8, 3))
        .write_csv(&dir.join("interviews.csv"))
        .unwrap();
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn generate_writes_a_run_folder_and_prints_where() {
    let dir = tempfile::tempdir().unwrap();
    planted_csv(dir.path());
    let out = persona(dir.path(), &["generate", "--data", "interviews.csv", "--count", "3"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let folder = stdout
        .strip_prefix("Output: ")
        .and_then(|s| s.strip_suffix('\n'))
        .expect(&stdout);
    assert!(
        folder.starts_with("./output/") || folder.starts_with("output/"),
        "{folder}"
    );
    let personas: Vec<Persona> =
        serde_json::from_slice(&std::fs::read(dir.path().join(folder).join("personas.json")).unwrap()).unwrap();
    assert_eq!(personas.len(), 3);
    assert!(dir.path().join(folder).join("metadata.json").is_file());
    // Not a terminal: plain progress lines on stderr.
    let stderr = text(&out.stderr);
    assert!(stderr.contains("[  5%] reading research data"), "{stderr}");
    assert!(stderr.contains("[ 25%] segmenting participants"), "{stderr}");
    assert!(stderr.contains("[100%] done"), "{stderr}");
}

#[test]
fn json_prints_only_the_personas_array_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    planted_csv(dir.path());
    let out = persona(
        dir.path(),
        &[
            "generate",
            "--data",
            "interviews.csv",
            "--count",
            "2",
            "--seed",
            "7",
            "--output",
            "runs",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON only");
    let personas: Vec<Persona> = serde_json::from_value(value).unwrap();
    assert_eq!(personas.len(), 2);
    assert!(personas.iter().all(|p| p.provider == "local" && !p.evidence.is_empty()));
    assert_eq!(std::fs::read_dir(dir.path().join("runs")).unwrap().count(), 1);
    assert!(text(&out.stderr).contains("Output: runs/"), "{}", text(&out.stderr));
}

#[test]
fn a_missing_data_path_exits_1_with_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = persona(dir.path(), &["generate", "--data", "nowhere.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let errors: Vec<String> = text(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("error:"))
        .map(String::from)
        .collect();
    assert_eq!(errors.len(), 1, "{}", text(&out.stderr));
    assert!(errors[0].contains("nowhere.csv"), "{}", errors[0]);
}

#[test]
fn data_that_gives_no_usable_persona_exits_1_naming_each_drop() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("chatter.csv"),
        "participant_id,response\nA,Sunshine over the harbour today.\nB,Sunshine and harbour boats today.\n",
    )
    .unwrap();
    let out = persona(dir.path(), &["generate", "--data", "chatter.csv", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    let error = stderr.lines().find(|l| l.starts_with("error:")).expect("an error line");
    assert!(
        error.starts_with("error: no persona could be made from this data"),
        "{error}"
    );
    assert!(error.contains("was dropped"), "{error}");

    // PERSONA_GENERATION_MIN_CLAIMS=1 asks for every persona however thin: one is kept.
    let thin = Command::new(env!("CARGO_BIN_EXE_persona"))
        .args(["generate", "--data", "chatter.csv", "--json"])
        .current_dir(dir.path())
        .env_remove("PERSONA_CONFIG")
        .env_remove("PERSONA_STORAGE_OUTPUT_DIR")
        .env("PERSONA_GENERATION_MIN_CLAIMS", "1")
        .output()
        .unwrap();
    assert!(thin.status.success(), "{}", text(&thin.stderr));
    let personas: Vec<Persona> = serde_json::from_slice(&thin.stdout).unwrap();
    assert_eq!(personas.len(), 1);
}

#[test]
fn a_single_interview_gives_its_persona() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/transcript-p16.md");
    std::fs::copy(example, dir.path().join("p16.md")).unwrap();
    let out = persona(dir.path(), &["generate", "--data", "p16.md", "--count", "1", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let personas: Vec<Persona> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(personas.len(), 1);
    assert_eq!(personas[0].participants, ["P16"]);
}

#[test]
fn a_bad_file_in_a_folder_is_skipped_with_a_warning_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("study")).unwrap();
    PlantedCorpus::generate(&PlantedSpec::equal(3, 8, 3))
        .write_csv(&dir.path().join("study/interviews.csv"))
        .unwrap();
    std::fs::write(dir.path().join("study/notes.txt"), b"broken \x80\xff text").unwrap();
    let out = persona(dir.path(), &["generate", "--data", "study", "--count", "3"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l == "warning: skipped notes.txt: line 1: invalid UTF-8 (save the file as UTF-8)"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["generate", "--data", "x.csv", "--count", "0"][..],
        &["generate", "--data", "x.csv", "--count", "21"][..],
        &["generate"][..],
    ] {
        let out = persona(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
    }
}

#[test]
fn a_bad_config_file_or_provider_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    planted_csv(dir.path());
    std::fs::write(dir.path().join("bad.toml"), "[generation]\ncount = \"many\"\n").unwrap();
    let out = persona(
        dir.path(),
        &["generate", "--data", "interviews.csv", "--config", "bad.toml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("bad.toml"), "{}", text(&out.stderr));
    let out = persona(
        dir.path(),
        &["generate", "--data", "interviews.csv", "--provider", "nope"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .lines()
            .any(|l| l.starts_with("error: unknown provider")),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_config_file_sets_defaults_that_flags_override() {
    let dir = tempfile::tempdir().unwrap();
    planted_csv(dir.path());
    std::fs::write(
        dir.path().join("persona.toml"),
        "[generation]\ncount = 2\n\n[storage]\noutput_dir = \"from-config\"\n",
    )
    .unwrap();
    let out = persona(
        dir.path(),
        &[
            "generate",
            "--data",
            "interviews.csv",
            "--config",
            "persona.toml",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let personas: Vec<Persona> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(personas.len(), 2);
    assert!(dir.path().join("from-config").is_dir());
    let out = persona(
        dir.path(),
        &[
            "generate",
            "--data",
            "interviews.csv",
            "--config",
            "persona.toml",
            "--count",
            "3",
            "--json",
        ],
    );
    let personas: Vec<Persona> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(personas.len(), 3);
}

#[test]
fn inspect_prints_participants_interviewers_and_skipped_rows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("survey.csv"),
        "Response ID,Status,What slows you down at month end?\n\
         1,Complete,Chasing receipts from the sales team.\n\
         2,Partial,\n\
         3,Complete,The bank feed drops transactions.\n",
    )
    .unwrap();
    let out = persona(dir.path(), &["inspect", "--data", "survey.csv"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Participants (2):"), "{stdout}");
    assert!(stdout.contains("Blank respondents left out: 1"), "{stdout}");
    assert!(stdout.contains("\"Status\""), "{stdout}");

    let out = persona(dir.path(), &["inspect", "--data", "survey.csv", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["blank_respondents"], 1);
    assert_eq!(json["participants"].as_array().unwrap().len(), 2);

    let missing = persona(dir.path(), &["inspect", "--data", "nowhere"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such file or directory: nowhere"));
}
