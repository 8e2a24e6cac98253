//! The web workspace's server side: page shells and embedded assets served to everyone, data
//! fragments rendered from a real run and guarded like the API's reads, bad parameters answered
//! with the error envelope, and the token never in a URL or a page.

use crate::support::{error_body, spawn_app, write_planted_csv};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TOKEN: &str = "ui-secret-token-4711";

async fn text(response: reqwest::Response) -> String {
    response.text().await.expect("body")
}

#[tokio::test]
async fn shells_and_embedded_assets_are_served_to_everyone() {
    let app = spawn_app(|s| {
        s.auth.token = Some(persona::config::Secret::new(TOKEN));
        s.auth.protect_reads = true;
    })
    .await;
    let redirect = app.client.get(app.url("/ui")).send().await.expect("request");
    assert_eq!(redirect.url().path(), "/ui/", "/ui redirects to /ui/");

    for (path, fragment) in [
        ("/ui/", "/ui/fragments/"),
        ("/ui/jobs?status=failed", "/ui/fragments/jobs?status=failed"),
        ("/ui/jobs/job-0123456789ab", "/ui/fragments/jobs/job-0123456789ab"),
        ("/ui/experiments", "/ui/fragments/experiments"),
        (
            "/ui/experiments/exp-1/runs/run-2",
            "/ui/fragments/experiments/exp-1/runs/run-2",
        ),
        (
            "/ui/compare?experiment=e&a=1&b=2",
            "/ui/fragments/compare?experiment=e&amp;a=1&amp;b=2",
        ),
        ("/ui/personas/persona-1", "/ui/fragments/personas/persona-1"),
        ("/ui/webhooks", "/ui/fragments/webhooks"),
    ] {
        let response = app.get_with_token(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        let html = text(response).await;
        assert!(
            html.contains(&format!("data-fragment=\"{fragment}\"")),
            "{path}: {html}"
        );
        assert!(html.contains("id=\"token-dialog\""), "{path}");
        assert!(!html.contains(TOKEN));
    }
    let missing = app.get_with_token("/ui/nowhere", None).await;
    error_body(missing, StatusCode::NOT_FOUND, "not_found").await;

    // The assets are the ones compiled in (the server's directories hold no copy of them).
    for (name, body, kind) in [
        ("app.css", persona::api::ui::STYLESHEET, "text/css"),
        ("app.js", persona::api::ui::SCRIPT, "text/javascript"),
    ] {
        let response = app.get_with_token(&format!("/ui/assets/{name}"), None).await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with(kind));
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert_eq!(text(response).await, body);
    }
    error_body(
        app.get_with_token("/ui/assets/other.js", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Nothing refers to another host: the workspace works offline.
    for asset in [persona::api::ui::STYLESHEET, persona::api::ui::SCRIPT] {
        assert!(!asset.contains("http://") && !asset.contains("https://"));
    }
}

#[tokio::test]
async fn with_protected_reads_every_fragment_needs_the_token() {
    let app = spawn_app(|s| {
        s.auth.token = Some(persona::config::Secret::new(TOKEN));
        s.auth.protect_reads = true;
    })
    .await;
    for path in [
        "/ui/fragments/",
        "/ui/fragments/jobs",
        "/ui/fragments/jobs/job-0123456789ab",
        "/ui/fragments/experiments",
        "/ui/fragments/experiments/exp-0123456789ab",
        "/ui/fragments/experiments/exp-0123456789ab/runs/run-0123456789ab",
        "/ui/fragments/compare?experiment=e&a=1&b=2",
        "/ui/fragments/personas/persona-0123456789ab",
        "/ui/fragments/personas/persona-0123456789ab/evidence?field=goals&index=0",
        "/ui/fragments/webhooks",
    ] {
        let response = app.get_with_token(path, None).await;
        assert_eq!(
            response.headers().get("www-authenticate").map(|v| v.to_str().unwrap()),
            Some("Bearer"),
            "{path}"
        );
        error_body(response, StatusCode::UNAUTHORIZED, "unauthorised").await;
        let wrong = app.get_with_token(path, Some("not-the-token")).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{path}");
        let allowed = app.get_with_token(path, Some(TOKEN)).await;
        assert_ne!(allowed.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let form = app.get_with_token("/ui/fragments/", Some(TOKEN)).await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(!text(form).await.contains(TOKEN), "the token is never put in a page");
}

#[tokio::test]
async fn without_protected_reads_fragments_are_open_like_the_api_reads() {
    let app = spawn_app(|s| s.auth.token = Some(persona::config::Secret::new(TOKEN))).await;
    let response = app.get_with_token("/ui/fragments/jobs", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(text(response).await.contains("No jobs"));
}

#[tokio::test]
async fn fragments_show_a_run_its_personas_and_their_evidence() {
    let app = spawn_app(|_| {}).await;
    write_planted_csv(&app.root().join("data/study.csv"), 3, 6);
    let job_id = app.create_job(json!({"data": "study.csv", "count": 3})).await;
    let job = app.wait_until_ended(&job_id).await;
    assert_eq!(job["status"], "completed", "{job}");
    let (experiment_id, run_id) = (job["experiment_id"].as_str().unwrap(), job["run_id"].as_str().unwrap());
    let personas = job["result"]["personas"].as_array().unwrap().clone();
    assert_eq!(personas.len(), 3);

    let jobs = text(app.get("/ui/fragments/jobs?status=completed").await).await;
    assert!(jobs.contains(&job_id) && jobs.contains("status-completed"), "{jobs}");
    let failed = text(app.get("/ui/fragments/jobs?status=failed").await).await;
    assert!(!failed.contains(&job_id) && failed.contains("No jobs with this status"));

    let job_page = text(app.get(&format!("/ui/fragments/jobs/{job_id}")).await).await;
    assert!(job_page.contains("value=\"100\""), "{job_page}");
    let run_page = text(
        app.get(&format!("/ui/fragments/experiments/{experiment_id}/runs/{run_id}"))
            .await,
    )
    .await;
    for persona in &personas {
        let name = persona["name"].as_str().unwrap();
        assert!(job_page.contains(name) && run_page.contains(name), "{name}");
    }
    assert_eq!(run_page.matches("class=\"persona-card\"").count(), 3);

    // Every claim opens its evidence: participant, source, location and the verbatim excerpt.
    let persona: &Value = &personas[0];
    let evidence = &persona["evidence"][0];
    let (field, index) = (evidence["field"].as_str().unwrap(), evidence["index"].as_u64().unwrap());
    let base = format!("/ui/fragments/personas/{}/evidence", persona["id"].as_str().unwrap());
    assert!(run_page.contains(&format!("data-evidence-base=\"{base}\"")), "{base}");
    assert!(run_page.contains(&format!("data-claim=\"{field}/{index}\"")));
    let claim = text(app.get(&format!("{base}?field={field}&index={index}")).await).await;
    for part in ["participant_id", "source", "location"] {
        assert!(claim.contains(evidence[part].as_str().unwrap()), "{part}: {claim}");
    }
    let excerpt = maud::html! { (evidence["excerpt"].as_str().unwrap()) }.into_string();
    assert!(claim.contains(&excerpt), "{claim}");

    let persona_page = text(
        app.get(&format!("/ui/fragments/personas/{}", persona["id"].as_str().unwrap()))
            .await,
    )
    .await;
    assert!(persona_page.contains("<svg") && persona_page.contains("Quality by dimension"));
    assert!(persona_page.contains(&excerpt), "the full card holds its evidence");

    let history = text(app.get(&format!("/ui/fragments/experiments/{experiment_id}")).await).await;
    assert!(history.contains(run_id) && history.contains("Mean quality"));
    let found = text(app.get("/ui/fragments/experiments?q=STUDY").await).await;
    assert!(found.contains("study.csv"), "{found}");
    let none = text(app.get("/ui/fragments/experiments?q=nothing-like-it").await).await;
    assert!(none.contains("No experiment matches"));

    let compare = text(
        app.get(&format!(
            "/ui/fragments/compare?experiment={experiment_id}&a={run_id}&b={run_id}"
        ))
        .await,
    )
    .await;
    assert!(compare.contains("3 persist"), "{compare}");
}

#[tokio::test]
async fn bad_fragment_parameters_get_the_error_envelope() {
    let app = spawn_app(|_| {}).await;
    let body = error_body(
        app.get("/ui/fragments/jobs?status=done").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
    )
    .await;
    assert_eq!(body["details"]["fields"][0]["field"], "status");
    let body = error_body(
        app.get("/ui/fragments/compare").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
    )
    .await;
    let fields: Vec<&str> = body["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["experiment", "a", "b"]);
    let body = error_body(
        app.get("/ui/fragments/personas/persona-0123456789ab/evidence?field=wishes&index=x")
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
    )
    .await;
    assert_eq!(body["details"]["fields"].as_array().unwrap().len(), 2);
    error_body(
        app.get("/ui/fragments/jobs/job-0123456789ab").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    error_body(
        app.get("/ui/fragments/personas/persona-0123456789ab").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    error_body(
        app.get("/ui/fragments/experiments/exp-0123456789ab").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    error_body(
        app.get("/ui/fragments/jobs?limit=0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
    )
    .await;
}

#[tokio::test]
async fn the_form_offers_only_configured_providers_and_webhooks_list_their_deliveries() {
    let app = spawn_app(|s| {
        s.webhooks.allow_private_targets = true;
        s.providers.openai.api_key = None;
    })
    .await;
    let form = text(app.get("/ui/fragments/").await).await;
    assert!(form.contains(r#"<option value="local" selected"#), "{form}");
    assert!(form.contains(r#"<option value="openai" disabled"#), "{form}");
    assert!(form.contains("not configured: set OPENAI_API_KEY"));

    let created = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": "http://127.0.0.1:9/hook", "secret": "s3cret-value"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let webhook: Value = created.json().await.unwrap();
    let webhook_id = webhook["webhook_id"].as_str().unwrap();
    let ping = app
        .post_json(&format!("/api/v1/webhooks/{webhook_id}/test"), &json!({}))
        .await;
    assert!(ping.status().is_success(), "{}", ping.status());
    let page = text(app.get("/ui/fragments/webhooks").await).await;
    assert!(page.contains("http://127.0.0.1:9/hook") && page.contains(webhook_id));
    assert!(page.contains("<td>ping</td>"), "{page}");
    assert!(page.contains(&format!("data-redeliver=\"{webhook_id}/delivery-")));
    assert!(page.contains(&format!("data-webhook-test=\"{webhook_id}\"")));
    assert!(!page.contains("s3cret-value"), "the secret is never shown");
}
