//! `persona score` as a user runs it, and the quality library API end to end.

use persona::domain::Persona;
use persona::quality::{QualityConfig, QualityRequest, QualitySource, RunQuality, evaluate, score_run};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

/// Two hand-written personas with evidence: a well-grounded seller and a thin, generic one.
pub fn personas_json() -> Value {
    json!([
        {
            "id": "persona-aaaa00000001", "name": "Maya Okafor", "title": "The Road-Warrior Seller",
            "summary": "Sells on the road and updates the CRM late at night.",
            "demographics": {"role": "Field Sales Rep", "age_range": "26-40", "location": "Berlin"},
            "goals": ["Close more deals while travelling between client sites",
                      "Keep the CRM updated from my phone without extra typing"],
            "pain_points": ["Syncing notes after every meeting takes far too long"],
            "behaviours": ["Updates the pipeline late in the evening from hotel rooms"],
            "quotes": ["I spend my evenings typing up notes I already said out loud."],
            "participants": ["P012", "P031", "P044"], "segment_size": 3,
            "evidence": [
                {"field": "goals", "index": 0, "participant_id": "P012", "source": "interviews.csv",
                 "location": "line 3", "excerpt": "I want to close more deals on the road"},
                {"field": "goals", "index": 0, "participant_id": "P031", "source": "notes.txt",
                 "location": "line 12", "excerpt": "closing deals between client visits"},
                {"field": "goals", "index": 0, "participant_id": "P044", "source": "survey.json",
                 "location": "/responses/4/answers/1", "excerpt": "more closed deals on the road"},
                {"field": "goals", "index": 1, "participant_id": "P012", "source": "interviews.csv",
                 "location": "line 5", "excerpt": "updating the CRM from my phone is a pain"},
                {"field": "pain_points", "index": 0, "participant_id": "P031", "source": "notes.txt",
                 "location": "line 14", "excerpt": "syncing my notes after each meeting takes forever"},
                {"field": "behaviours", "index": 0, "participant_id": "P044", "source": "survey.json",
                 "location": "/responses/4/answers/2", "excerpt": "I do the pipeline at night in the hotel"},
                {"field": "quotes", "index": 0, "participant_id": "P012", "source": "interviews.csv",
                 "location": "line 7", "excerpt": "I spend my evenings typing up notes I already said out loud."}
            ],
            "provider": "local", "model": "local-v1"
        },
        {
            "id": "persona-bbbb00000002", "name": "user", "title": "", "summary": "",
            "demographics": {"role": "Warehouse planner", "age_range": "18-25"},
            "goals": ["Be successful", "Plan for retirement"],
            "pain_points": ["Slow scanners"], "quotes": ["ok"],
            "provider": "local", "model": "local-v1"
        }
    ])
}

pub fn personas() -> Vec<Persona> {
    serde_json::from_value(personas_json()).unwrap()
}

pub fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

pub fn persona_cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_persona")).args(args).output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn score_prints_a_table_with_every_dimension_and_the_issues() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("personas.json");
    write_json(&file, &personas_json());
    let out = persona_cli(&["score", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let header = text.lines().next().unwrap();
    for column in [
        "PERSONA",
        "OVERALL",
        "LEVEL",
        "COMPLETENESS",
        "CONSISTENCY",
        "EVIDENCE_STRENGTH",
        "DISTINCTIVENESS",
        "REALISM",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let run = score_run(&personas(), &QualityConfig::default());
    let maya = text.lines().nth(1).unwrap();
    assert!(maya.starts_with("Maya Okafor"), "{maya}");
    assert!(maya.contains(&format!("{:.2}", run.scores[0].overall_score)), "{maya}");
    assert!(maya.contains(run.scores[0].level.as_str()));
    assert!(text.contains("2 persona(s), average"), "{text}");
    assert!(
        text.contains("  - [consistency] Age-goal mismatch: young person with senior goal 'Plan for retirement'"),
        "{text}"
    );
}

#[test]
fn score_json_is_the_library_run_quality() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("personas.json");
    write_json(&file, &personas_json());
    let out = persona_cli(&["score", file.to_str().unwrap(), "--json", "--preset", "strict"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed: RunQuality = serde_json::from_str(&stdout(&out)).unwrap();
    let expected = score_run(&personas(), &QualityConfig::preset("strict").unwrap());
    assert_eq!(printed, expected);
    assert_eq!(printed.distinctiveness_matrix[0][0], 100.0);
    // evidence: coverage 5/5, strength (100 + 50·4)/5 = 60, diversity 3 files → 50 + 18 + 20 = 88,
    // scaled like every dimension by the persona's soundness factor.
    let factor = printed.scores[0].dimensions["realism"].details["soundness"]["factor"]
        .as_f64()
        .unwrap();
    let evidence = printed.scores[0].dimensions["evidence_strength"].score;
    assert!((evidence - 88.0 * factor).abs() < 0.1, "{evidence} vs 88 × {factor}");
}

#[test]
fn score_reads_a_run_folder() {
    let dir = tempfile::tempdir().unwrap();
    for (i, p) in personas_json().as_array().unwrap().iter().enumerate() {
        let sub = dir.path().join("personas").join(format!("{:02}", i + 1));
        std::fs::create_dir_all(&sub).unwrap();
        write_json(&sub.join("persona.json"), p);
    }
    let out = persona_cli(&["score", dir.path().to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed: RunQuality = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(printed.persona_count, 2);
    assert_eq!(printed.scores[0].persona_id, "persona-aaaa00000001");
}

#[test]
fn min_score_fails_the_pipeline_and_names_the_persona() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("personas.json");
    write_json(&file, &personas_json());
    let path = file.to_str().unwrap();
    let run = score_run(&personas(), &QualityConfig::default());
    let weakest = run.scores[1].overall_score;

    let pass = persona_cli(&["score", path, "--min-score", &format!("{}", weakest.floor())]);
    assert_eq!(pass.status.code(), Some(0), "{}", stderr(&pass));

    let fail = persona_cli(&["score", path, "--min-score", &format!("{}", weakest + 1.0)]);
    assert_eq!(fail.status.code(), Some(1));
    let err = stderr(&fail);
    assert!(
        err.starts_with(&format!(
            "error: 1 persona(s) below --min-score {}: user (persona-bbbb00000002) {weakest:.2}",
            weakest + 1.0
        )),
        "{err}"
    );
    assert!(!err.contains("Maya Okafor"));
    // the report is still printed
    assert!(stdout(&fail).contains("Maya Okafor"));
}

#[test]
fn bad_input_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "[{\"name\": ").unwrap();
    // Unusable input exits 1; a bad flag value is a usage error and exits 2.
    for (args, code) in [
        (vec!["score", broken.to_str().unwrap()], 1),
        (vec!["score", dir.path().join("missing.json").to_str().unwrap()], 1),
        (vec!["score", dir.path().to_str().unwrap()], 1),
        (vec!["score", broken.to_str().unwrap(), "--min-score", "120"], 2),
    ] {
        let out = persona_cli(&args);
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.starts_with("error: ") && err.trim_end().lines().count() == 1,
            "{err}"
        );
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn quality_request_inline_end_to_end() {
    let body = json!({"personas": personas_json(), "preset": "lenient"});
    let request: QualityRequest = serde_json::from_value(body).unwrap();
    let validated = request.validate().unwrap();
    let QualitySource::Inline(personas) = validated.source else {
        panic!("inline personas expected");
    };
    let response = evaluate(&personas, &validated.preset).unwrap();
    assert_eq!(response.preset, "lenient");
    assert_eq!(
        response.run,
        score_run(&personas, &QualityConfig::preset("lenient").unwrap())
    );
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(json["run"]["scores"][1]["level"], response.run.scores[1].level.as_str());
    assert!(json["run"]["scores"][0]["dimensions"]["realism"]["details"].is_object());
}

#[test]
fn request_and_response_types_have_openapi_schemas() {
    use persona::quality::QualityResponse;
    use persona::scripts::{ScriptRequest, ScriptResult};
    use utoipa::OpenApi;

    #[derive(OpenApi)]
    #[openapi(components(schemas(QualityRequest, QualityResponse, ScriptRequest, ScriptResult)))]
    struct Doc;

    let doc: Value = serde_json::from_str(&Doc::openapi().to_json().unwrap()).unwrap();
    let schemas = &doc["components"]["schemas"];
    for name in [
        "QualityRequest",
        "QualityResponse",
        "RunQuality",
        "ScriptRequest",
        "ScriptResult",
        "Leakage",
    ] {
        assert!(schemas[name].is_object(), "{name} missing: {schemas}");
    }
    // serde renames are honoured: a leakage's kind is serialised as "type"
    assert!(
        schemas["Leakage"]["properties"]["type"].is_object(),
        "{}",
        schemas["Leakage"]
    );
    assert_eq!(
        schemas["ScriptFormat"]["enum"],
        json!(["character_card", "system_prompt", "template"])
    );
}
