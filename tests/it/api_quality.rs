//! Quality through the API: scores stored with every run and returned with its personas,
//! `POST /api/v1/quality` and `POST /api/v1/scripts`.

use crate::quality::personas_json;
use crate::support::{TestApp, error_body, spawn_app, write_planted_csv};
use persona::config::{Secret, Settings};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TOKEN: &str = "quality-test-token-7d1e";

/// A server with a token and one completed local job; returns the job view.
async fn app_with_a_run() -> (TestApp, Value) {
    let app = spawn_app(|s: &mut Settings| s.auth.token = Some(Secret::new(TOKEN))).await;
    write_planted_csv(&app.data_dir.join("interviews.csv"), 3, 6);
    let id = app
        .create_job(json!({"data": "interviews.csv", "count": 3, "seed": 7}))
        .await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "completed", "{job}");
    (app, job)
}

fn field_names(body: &Value) -> Vec<&str> {
    body["details"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields: {body}"))
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect()
}

async fn score(app: &TestApp, body: Value) -> Value {
    let response = app.post_json("/api/v1/quality", &body).await;
    let status = response.status();
    let json: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{json}");
    json
}

#[tokio::test]
async fn every_run_stores_quality_with_its_personas_and_summary() {
    let (app, job) = app_with_a_run().await;
    let personas = job["result"]["personas"].as_array().unwrap();
    assert_eq!(personas.len(), 3);
    let run_id = job["run_id"].as_str().unwrap();
    let metadata: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT metadata FROM runs WHERE id = ?1", [run_id], |r| r.get(0))?))
        .unwrap();
    let summary = &serde_json::from_str::<Value>(&metadata).unwrap()["quality"];
    assert_eq!(summary["persona_count"], 3, "{summary}");
    assert_eq!(summary["preset"], "default");
    assert_eq!(summary["distinctiveness_matrix"].as_array().unwrap().len(), 3);
    assert_eq!(
        summary["average_by_dimension"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        [
            "completeness",
            "consistency",
            "distinctiveness",
            "evidence_strength",
            "realism"
        ]
    );
    let mut total = 0.0;
    for (i, persona) in personas.iter().enumerate() {
        let quality = &persona["quality"];
        assert_eq!(quality["persona_id"], persona["id"], "{quality}");
        assert_eq!(quality["persona_name"], persona["name"]);
        let overall = quality["overall_score"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&overall));
        assert!(quality["level"].is_string());
        // The other personas of the same run, and only those, are compared.
        let compared: Vec<&Value> = quality["dimensions"]["distinctiveness"]["details"]["similarity_details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["other_id"])
            .collect();
        let others: Vec<&Value> = personas
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| &p["id"])
            .collect();
        assert_eq!(compared, others);
        total += overall;
    }
    assert!((summary["average_score"].as_f64().unwrap() - total / 3.0).abs() < 0.01);

    // The stored scores are what the quality endpoint computes for the run.
    let scored = score(&app, json!({"run_id": run_id})).await;
    assert_eq!(scored["preset"], "default");
    for (persona, computed) in personas.iter().zip(scored["run"]["scores"].as_array().unwrap()) {
        assert_eq!(&persona["quality"], computed);
    }
    assert_eq!(
        scored["run"]["distinctiveness_matrix"],
        summary["distinctiveness_matrix"]
    );
}

#[tokio::test]
async fn quality_scores_inline_personas_a_stored_persona_or_a_run() {
    let (app, job) = app_with_a_run().await;
    let personas = job["result"]["personas"].as_array().unwrap();

    let inline = score(&app, json!({"personas": personas_json()})).await;
    let run = &inline["run"];
    assert_eq!(run["persona_count"], 2);
    assert_eq!(run["scores"][0]["persona_id"], "persona-aaaa00000001");
    assert_eq!(run["distinctiveness_matrix"][0][0], 100.0);
    assert!(
        run["scores"][0]["overall_score"].as_f64() > run["scores"][1]["overall_score"].as_f64(),
        "{run}"
    );

    // Presets change thresholds and minimums: strict never scores higher than lenient.
    let strict = score(&app, json!({"personas": personas_json(), "preset": "strict"})).await;
    let lenient = score(&app, json!({"personas": personas_json(), "preset": "lenient"})).await;
    assert_eq!(
        (strict["preset"].as_str(), lenient["preset"].as_str()),
        (Some("strict"), Some("lenient"))
    );
    assert!(strict["run"]["average_score"].as_f64() < lenient["run"]["average_score"].as_f64());

    // A partial inline persona is scored, reporting what it lacks.
    let partial = score(
        &app,
        json!({"personas": [{"name": "Sam Lee", "painPoints": "Slow exports"}]}),
    )
    .await;
    let issues = partial["run"]["scores"][0]["dimensions"]["completeness"]["issues"].clone();
    assert!(issues.to_string().contains("Missing required field: id"), "{issues}");

    // One stored persona, against the others of its run: its stored score.
    let one = score(&app, json!({"persona_id": personas[1]["id"]})).await;
    assert_eq!(one["run"]["persona_count"], 1);
    assert_eq!(one["run"]["scores"][0], personas[1]["quality"]);
    let strict_one = score(&app, json!({"persona_id": personas[1]["id"], "preset": "strict"})).await;
    assert_eq!(strict_one["preset"], "strict");
    assert!(
        strict_one["run"]["scores"][0]["overall_score"].as_f64() <= one["run"]["scores"][0]["overall_score"].as_f64(),
        "{strict_one}"
    );
}

#[tokio::test]
async fn quality_errors_name_the_field_or_the_missing_resource() {
    let (app, job) = app_with_a_run().await;
    for (body, fields) in [
        (json!({}), vec!["personas"]),
        (json!({"personas": []}), vec!["personas"]),
        (
            json!({"persona_id": "persona-1", "run_id": "run-1"}),
            vec!["persona_id", "run_id"],
        ),
        (json!({"run_id": job["run_id"], "preset": "harsh"}), vec!["preset"]),
        (json!({"run_id": "  "}), vec!["run_id"]),
        (json!({"personas": [{"name": "A"}, {"goals": 3}]}), vec!["personas[1]"]),
        (
            json!({"personas": [{"name": "A", "quality": [1]}]}),
            vec!["personas[0]"],
        ),
        (json!({"run_id": job["run_id"], "colour": "blue"}), vec!["colour"]),
        (json!([1, 2]), vec!["body"]),
    ] {
        let response = app.post_json("/api/v1/quality", &body).await;
        let error = error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
        assert_eq!(field_names(&error), fields, "{body}: {error}");
    }
    for (body, what) in [
        (
            json!({"persona_id": "persona-000000000000"}),
            "persona persona-000000000000 not found",
        ),
        (json!({"run_id": "run-000000000000"}), "run run-000000000000 not found"),
    ] {
        let response = app.post_json("/api/v1/quality", &body).await;
        let error = error_body(response, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(error["message"], what);
    }
    // Like every POST, it needs the token when the server has one.
    let response = app
        .post_json_with_token("/api/v1/quality", &json!({"run_id": job["run_id"]}), None)
        .await;
    error_body(response, StatusCode::UNAUTHORIZED, "unauthorised").await;
}

#[tokio::test]
async fn a_failed_run_has_no_personas_to_score() {
    let app = spawn_app(|_| {}).await;
    app.write_data_file("empty.csv", "");
    let id = app.create_job(json!({"data": "empty.csv"})).await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "failed", "{job}");
    let response = app
        .post_json("/api/v1/quality", &json!({"run_id": job["run_id"]}))
        .await;
    let error = error_body(response, StatusCode::CONFLICT, "conflict").await;
    assert!(
        error["message"].as_str().unwrap().contains("its status is failed"),
        "{error}"
    );
}

async fn script(app: &TestApp, body: Value) -> Value {
    let response = app.post_json("/api/v1/scripts", &body).await;
    let status = response.status();
    let json: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}: {json}");
    json
}

#[tokio::test]
async fn scripts_come_in_every_format_from_stored_or_inline_personas() {
    let (app, job) = app_with_a_run().await;
    let stored = &job["result"]["personas"][0];
    let persona_id = stored["id"].as_str().unwrap();

    let card = script(&app, json!({"persona_id": persona_id})).await;
    assert_eq!(card["format"], "character_card");
    assert!(card["script_id"].as_str().unwrap().starts_with("script-"));
    assert_eq!(card["character_card"]["identity"]["name"], stored["name"]);
    assert_eq!(card["character_card"]["provenance"]["source_persona_id"], persona_id);
    let output: Value = serde_json::from_str(card["output"].as_str().unwrap()).unwrap();
    assert_eq!(output, card["character_card"]);
    assert_eq!(card["privacy_audit"]["passed"], true, "{}", card["privacy_audit"]);
    assert_eq!(card["privacy_audit"]["threshold"], 0.1);

    // Deterministic: the same persona gives the same script.
    assert_eq!(script(&app, json!({"persona_id": persona_id})).await, card);

    let yaml = script(&app, json!({"persona_id": persona_id, "yaml": true})).await;
    assert!(yaml["output"].as_str().unwrap().starts_with("id: script-"), "{yaml}");
    assert_eq!(yaml["script_id"], card["script_id"]);

    let prompt = script(&app, json!({"persona_id": persona_id, "format": "system_prompt"})).await;
    let text = prompt["output"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("You are {}, ", stored["name"].as_str().unwrap())),
        "{text}"
    );
    assert!(text.trim_end().ends_with("[SYNTHETIC_PERSONA_SCRIPT]"), "{text}");

    let inline = personas_json()[0].clone();
    let template = script(&app, json!({"persona": inline, "format": "template"})).await;
    assert_eq!(template["format"], "template");
    assert!(
        template["output"].as_str().unwrap().contains("Maya Okafor"),
        "{template}"
    );
    let custom = script(
        &app,
        json!({"persona": inline, "format": "template", "template": "{{identity.name}} / {{identity.title}}"}),
    )
    .await;
    assert_eq!(custom["output"], "Maya Okafor / The Road-Warrior Seller");

    let response = app
        .post_json_with_token("/api/v1/scripts", &json!({"persona_id": persona_id}), None)
        .await;
    error_body(response, StatusCode::UNAUTHORIZED, "unauthorised").await;
    let response = app
        .post_json_with_token("/api/v1/scripts", &json!({"persona_id": persona_id}), Some("wrong"))
        .await;
    error_body(response, StatusCode::UNAUTHORIZED, "unauthorised").await;
}

#[tokio::test]
async fn a_leaking_persona_is_refused_with_the_findings() {
    let app = spawn_app(|_| {}).await;
    let mut leaky = personas_json()[0].clone();
    leaky["title"] = "The P031 seller".into();
    leaky["demographics"]["location"] = "maya.okafor@example.com".into();
    let response = app.post_json("/api/v1/scripts", &json!({"persona": leaky})).await;
    let error = error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "privacy_audit_failed").await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("privacy audit failed: the script's leakage score 1.000 exceeds the threshold 0.1"),
        "{error}"
    );
    assert_eq!(error["details"]["leakage_score"], 1.0);
    assert_eq!(error["details"]["threshold"], 0.1);
    let kinds: Vec<&str> = error["details"]["leakages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"participant_id") && kinds.contains(&"email"), "{error}");
    assert!(error.get("script_id").is_none() && error["details"].get("output").is_none());

    // A quote copied into the title is one long overlap: blocked at 0.1, allowed at 0.2.
    let mut quoted = personas_json()[0].clone();
    quoted["title"] = "The one who spends evenings typing up notes I already said out loud".into();
    let response = app.post_json("/api/v1/scripts", &json!({"persona": quoted})).await;
    error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "privacy_audit_failed").await;
    let allowed = script(&app, json!({"persona": quoted, "max_leakage_score": 0.2})).await;
    assert_eq!(allowed["privacy_audit"]["passed"], true);
    assert!(allowed["privacy_audit"]["leakage_score"].as_f64().unwrap() > 0.1);
}

#[tokio::test]
async fn script_errors_name_the_field_or_the_missing_persona() {
    let app = spawn_app(|_| {}).await;
    let persona = personas_json()[0].clone();
    for (body, field) in [
        (json!({}), "persona"),
        (json!({"persona_id": "persona-1", "persona": persona}), "persona"),
        (json!({"persona_id": " "}), "persona_id"),
        (json!({"persona": persona, "format": "poem"}), "format"),
        (
            json!({"persona": persona, "format": "system_prompt", "yaml": true}),
            "yaml",
        ),
        (json!({"persona": persona, "max_leakage_score": 2}), "max_leakage_score"),
        (json!({"persona": persona, "template": "{{identity.name}}"}), "template"),
        (
            json!({"persona": persona, "format": "template", "template": "{{nope}}"}),
            "template",
        ),
        (json!({"persona": persona, "yaml": "yes"}), "yaml"),
        (json!({"persona": {"goals": {"a": 1}}}), "persona"),
    ] {
        let response = app.post_json("/api/v1/scripts", &body).await;
        let error = error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
        assert_eq!(field_names(&error), [field], "{body}: {error}");
    }
    let response = app
        .post_json("/api/v1/scripts", &json!({"persona_id": "persona-000000000000"}))
        .await;
    let error = error_body(response, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(error["message"], "persona persona-000000000000 not found");
}

#[tokio::test]
async fn the_openapi_document_describes_the_new_endpoints() {
    let app = spawn_app(|_| {}).await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for tag in ["providers", "quality", "scripts"] {
        assert!(tags.contains(&tag), "{tags:?}");
    }
    let scripts = &doc["paths"]["/api/v1/scripts"]["post"];
    assert_eq!(scripts["tags"], json!(["scripts"]));
    assert_eq!(scripts["security"], json!([{"bearer": []}]));
    assert!(scripts["responses"]["422"].is_object() && scripts["responses"]["404"].is_object());
    assert_eq!(doc["paths"]["/api/v1/quality"]["post"]["tags"], json!(["quality"]));
    assert_eq!(doc["paths"]["/api/v1/providers"]["get"]["tags"], json!(["providers"]));
    let codes = doc["components"]["schemas"]["ErrorCode"].to_string();
    assert!(codes.contains("privacy_audit_failed"), "{codes}");
    for schema in [
        "ScriptRequest",
        "ScriptResult",
        "QualityRequest",
        "QualityResponse",
        "ProviderList",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}
