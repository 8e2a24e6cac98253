//! Webhooks end to end: the sending function against a real receiver, then the API, the outbox
//! and the dispatcher through a real server.

use crate::receiver::{Receiver, Reply};
use persona::worker::dispatcher::{AttemptOutcome, Outgoing, RESPONSE_BODY_LIMIT, send};
use persona::worker::signing;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn client(timeout: Duration) -> reqwest::Client {
    persona::net::guarded_client(true, timeout, Duration::from_secs(2))
}

fn outgoing<'a>(url: &'a str, payload: &'a [u8], secret: Option<&'a [u8]>) -> Outgoing<'a> {
    Outgoing {
        delivery_id: "delivery-0123456789abcdef",
        url,
        event: "ping",
        payload,
        secret,
    }
}

#[tokio::test]
async fn send_posts_the_exact_body_with_headers_and_a_verifiable_signature() {
    let receiver = Receiver::start().await;
    let url = receiver.url("/hook");
    let payload = br#"{"event":"ping","timestamp":"2026-01-01T00:00:00.000Z","data":{"message":"hi \u00e9"}}"#;
    let report = send(
        &client(Duration::from_secs(5)),
        true,
        outgoing(&url, payload, Some(b"s3cret")),
    )
    .await;
    assert_eq!(report.outcome(), AttemptOutcome::Delivered, "{report:?}");
    assert_eq!((report.status_code, report.error.as_deref()), (Some(200), None));
    assert_eq!(report.response_body.as_deref(), Some("status 200"));

    let got = receiver.wait_for(1, WAIT).await;
    let request = &got[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/hook"));
    assert_eq!(request.body, payload);
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert!(request.header("user-agent").unwrap().starts_with("persona-webhooks/"));
    assert_eq!(request.header("x-persona-event"), Some("ping"));
    assert_eq!(request.header("x-persona-delivery"), Some("delivery-0123456789abcdef"));
    let signature = request.header("x-persona-signature").expect("signed");
    assert!(signing::verify(b"s3cret", &request.body, signature));
    assert_eq!(signature, signing::sign(b"s3cret", &request.body));
}

#[tokio::test]
async fn send_without_a_secret_leaves_the_signature_out() {
    let receiver = Receiver::start().await;
    let url = receiver.url("/");
    let report = send(&client(Duration::from_secs(5)), true, outgoing(&url, b"{}", None)).await;
    assert_eq!(report.outcome(), AttemptOutcome::Delivered);
    assert_eq!(receiver.wait_for(1, WAIT).await[0].header("x-persona-signature"), None);
}

#[tokio::test]
async fn send_reports_status_retry_after_and_only_the_first_kilobyte_of_the_body() {
    let receiver = Receiver::start().await;
    receiver.script([Reply::status(503).with_retry_after("7").with_body("x".repeat(5000))]);
    let url = receiver.url("/");
    let report = send(&client(Duration::from_secs(5)), true, outgoing(&url, b"{}", None)).await;
    assert_eq!(report.outcome(), AttemptOutcome::Failed);
    assert_eq!(report.status_code, Some(503));
    assert_eq!(report.retry_after, Some(Duration::from_secs(7)));
    assert_eq!(
        report.response_body.as_ref().map(String::len),
        Some(RESPONSE_BODY_LIMIT)
    );
    assert!(report.error.as_deref().unwrap().contains("503"), "{report:?}");
}

#[tokio::test]
async fn send_treats_410_as_gone_and_a_redirect_as_a_failure() {
    let receiver = Receiver::start().await;
    receiver.script([Reply::status(410), Reply::status(302)]);
    let url = receiver.url("/");
    let http = client(Duration::from_secs(5));
    assert_eq!(
        send(&http, true, outgoing(&url, b"{}", None)).await.outcome(),
        AttemptOutcome::Gone
    );
    let redirected = send(&http, true, outgoing(&url, b"{}", None)).await;
    assert_eq!(redirected.outcome(), AttemptOutcome::Failed);
    assert!(redirected.error.unwrap().contains("redirects are not followed"));
    assert_eq!(receiver.count(), 2);
}

#[tokio::test]
async fn send_gives_up_on_a_hanging_receiver_at_the_timeout() {
    let receiver = Receiver::start().await;
    receiver.set_default(Reply::hang(Duration::from_secs(60)));
    let url = receiver.url("/");
    let report = send(&client(Duration::from_secs(1)), true, outgoing(&url, b"{}", None)).await;
    assert_eq!(report.outcome(), AttemptOutcome::Failed);
    assert_eq!(report.status_code, None);
    assert!(report.error.as_deref().unwrap().contains("timed out"), "{report:?}");
    assert!(report.duration >= Duration::from_millis(900) && report.duration < Duration::from_secs(10));
}

#[tokio::test]
async fn send_refuses_a_private_target_unless_allowed_and_reports_connection_errors() {
    let receiver = Receiver::start().await;
    let url = receiver.url("/");
    let refused = send(&client(Duration::from_secs(5)), false, outgoing(&url, b"{}", None)).await;
    assert!(
        refused
            .error
            .as_deref()
            .unwrap()
            .starts_with("target refused: 127.0.0.1"),
        "{refused:?}"
    );
    assert_eq!(receiver.count(), 0);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let unreachable = send(
        &client(Duration::from_secs(5)),
        true,
        outgoing(&closed_url, b"{}", None),
    )
    .await;
    assert_eq!(unreachable.outcome(), AttemptOutcome::Failed);
    assert!(unreachable.error.unwrap().contains("could not connect"));
}

// ---------------------------------------------------------------------------------------------
// The dispatcher against a real database file and real receivers, driven step by step.

mod dispatcher {
    use super::WAIT;
    use crate::receiver::{Receiver, Reply};
    use chrono::Utc;
    use persona::config::{Secret, WebhookSettings};
    use persona::domain::time::now_rfc3339;
    use persona::domain::webhooks::{DeliveryStatus, NewWebhook, Trigger, WebhookEvent};
    use persona::store::Db;
    use persona::store::deliveries as outbox;
    use persona::store::webhooks::{self as registrations, Webhook};
    use persona::worker::dispatcher::{DeliveryNotifier, DispatchOutcome, Dispatcher};
    use persona::worker::signing;
    use std::time::{Duration, Instant};
    use tokio_util::sync::CancellationToken;

    fn database() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_path(&dir.path().join("persona.db"), 4, 5000).unwrap();
        db.migrate().unwrap();
        (dir, db)
    }

    fn settings(delays: &[u64]) -> WebhookSettings {
        WebhookSettings {
            timeout_seconds: 5,
            retry_delays_seconds: delays.to_vec(),
            allow_private_targets: true,
            default_secret: None,
            concurrency: 4,
            max_webhooks: 100,
        }
    }

    fn register(db: &Db, url: &str, secret: Option<&str>) -> Webhook {
        let new = NewWebhook::parse(Some(url), None, secret.map(str::to_string), true).unwrap();
        db.write(|tx| registrations::create_webhook(tx, &new, &now_rfc3339()))
            .unwrap()
    }

    fn completed(job_id: &str) -> WebhookEvent {
        WebhookEvent::Completed {
            job_id: job_id.into(),
            personas_count: 2,
            experiment_id: "exp-0123456789abcdef".into(),
            run_id: "run-0123456789abcdef".into(),
            output_path: Some("/srv/output/run".into()),
        }
    }

    fn enqueue(db: &Db, event: &WebhookEvent, job_url: Option<&str>) -> Vec<String> {
        db.write(|tx| outbox::enqueue_job_event(tx, event, job_url, &now_rfc3339()))
            .unwrap()
    }

    fn seconds_from_now(seconds: i64) -> chrono::DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(seconds)
    }

    #[tokio::test]
    async fn failed_attempts_are_retried_on_schedule_with_the_same_id_body_and_signature() {
        let (_dir, db) = database();
        let receiver = Receiver::start().await;
        receiver.script([Reply::status(500), Reply::status(503).with_body("busy")]);
        let hook = register(&db, &receiver.url("/hook"), Some("s3cret"));
        let ids = enqueue(&db, &completed("job-0123456789abcdef"), None);
        let dispatcher = Dispatcher::new(db.clone(), &settings(&[1, 1, 1]), DeliveryNotifier::default());

        let first = dispatcher.dispatch_due(Utc::now()).await.unwrap();
        assert_eq!((first.attempted, first.retrying), (1, 1));
        // The retry is about a second away: nothing is due yet.
        assert!(dispatcher.dispatch_due(Utc::now()).await.unwrap().is_idle());
        let second = dispatcher.dispatch_due(seconds_from_now(2)).await.unwrap();
        assert_eq!(second.retrying, 1);
        let third = dispatcher.dispatch_due(seconds_from_now(4)).await.unwrap();
        assert_eq!(third.delivered, 1);
        assert!(dispatcher.dispatch_due(seconds_from_now(60)).await.unwrap().is_idle());

        let requests = receiver.wait_for(3, WAIT).await;
        for request in &requests {
            assert_eq!(request.header("x-persona-delivery"), Some(ids[0].as_str()));
            assert_eq!(request.body, requests[0].body);
            let signature = request.header("x-persona-signature").unwrap();
            assert!(signing::verify(b"s3cret", &request.body, signature));
        }
        let body = requests[0].json();
        assert_eq!(body["event"], "generation.completed");
        assert_eq!(body["data"]["run_id"], "run-0123456789abcdef");

        let detail = db.read(|c| outbox::get_delivery_detail(c, &hook.id, &ids[0])).unwrap();
        assert_eq!(detail.delivery.status, DeliveryStatus::Delivered);
        assert_eq!(detail.delivery.attempts, 3);
        assert_eq!(detail.payload.as_bytes(), requests[0].body.as_slice());
        let seen: Vec<(u32, Trigger, Option<u16>, Option<&str>)> = detail
            .attempts
            .iter()
            .map(|a| (a.attempt_number, a.trigger, a.status_code, a.response_body.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                (1, Trigger::Scheduled, Some(500), Some("status 500")),
                (2, Trigger::Scheduled, Some(503), Some("busy")),
                (3, Trigger::Scheduled, Some(200), Some("status 200")),
            ]
        );
        assert!(detail.attempts[1].error.as_deref().unwrap().contains("503"));
    }

    #[tokio::test]
    async fn the_last_failed_attempt_dead_letters_the_delivery() {
        let (_dir, db) = database();
        let receiver = Receiver::start().await;
        receiver.set_default(Reply::status(500));
        let hook = register(&db, &receiver.url("/"), None);
        let ids = enqueue(&db, &completed("job-0123456789abcdef"), None);
        let dispatcher = Dispatcher::new(db.clone(), &settings(&[1, 1]), DeliveryNotifier::default());
        let mut outcomes = Vec::new();
        for offset in [0, 5, 10, 15] {
            outcomes.push(dispatcher.dispatch_due(seconds_from_now(offset)).await.unwrap());
        }
        let dead = DispatchOutcome {
            attempted: 1,
            dead_lettered: 1,
            ..Default::default()
        };
        assert_eq!(outcomes[2], dead);
        assert!(outcomes[3].is_idle());
        assert_eq!(receiver.count(), 3);
        let delivery = db.read(|c| outbox::get_delivery(c, &hook.id, &ids[0])).unwrap();
        assert_eq!((delivery.status, delivery.attempts), (DeliveryStatus::Failed, 3));
        assert_eq!(delivery.next_attempt_at, None);
        assert_eq!(delivery.last_status_code, Some(500));
    }

    #[tokio::test]
    async fn a_410_disables_the_webhook() {
        let (_dir, db) = database();
        let receiver = Receiver::start().await;
        receiver.set_default(Reply::status(410));
        let hook = register(&db, &receiver.url("/"), None);
        enqueue(&db, &completed("job-0123456789abcdef"), None);
        let outcome = Dispatcher::new(db.clone(), &settings(&[1]), DeliveryNotifier::default())
            .dispatch_due(Utc::now())
            .await
            .unwrap();
        assert_eq!(outcome.webhooks_disabled, 1);
        let hook = db.read(|c| registrations::get_webhook(c, &hook.id)).unwrap();
        assert!(!hook.active);
        assert!(hook.disabled_reason.unwrap().contains("410 Gone"));
        assert!(enqueue(&db, &completed("job-1123456789abcdef"), None).is_empty());
    }

    #[tokio::test]
    async fn a_jobs_own_url_is_signed_with_the_default_secret_when_set() {
        let (_dir, db) = database();
        let receiver = Receiver::start().await;
        let url = receiver.url("/job");
        enqueue(&db, &completed("job-0123456789abcdef"), Some(&url));
        let mut with_secret = settings(&[1]);
        with_secret.default_secret = Some(Secret::new("default-key"));
        Dispatcher::new(db.clone(), &with_secret, DeliveryNotifier::default())
            .dispatch_due(Utc::now())
            .await
            .unwrap();
        let failed = WebhookEvent::Failed {
            job_id: "job-1123456789abcdef".into(),
            error: "no usable data".into(),
        };
        enqueue(&db, &failed, Some(&url));
        Dispatcher::new(db.clone(), &settings(&[1]), DeliveryNotifier::default())
            .dispatch_due(Utc::now())
            .await
            .unwrap();

        let requests = receiver.wait_for(2, WAIT).await;
        let signature = requests[0]
            .header("x-persona-signature")
            .expect("signed with the default secret");
        assert!(signing::verify(b"default-key", &requests[0].body, signature));
        assert_eq!(requests[1].header("x-persona-signature"), None);
        assert_eq!(requests[1].json()["data"]["error"], "no usable data");
    }

    #[tokio::test]
    async fn a_hanging_receiver_does_not_hold_up_other_receivers_and_shutdown_waits_for_it() {
        let (_dir, db) = database();
        let hanging = Receiver::start().await;
        hanging.set_default(Reply::hang(Duration::from_secs(60)));
        let fast = Receiver::start().await;
        let slow_hook = register(&db, &hanging.url("/"), None);
        register(&db, &fast.url("/"), None);
        let mut config = settings(&[30]);
        config.timeout_seconds = 3;
        let dispatcher = Dispatcher::new(db.clone(), &config, DeliveryNotifier::default());
        let shutdown = CancellationToken::new();
        let started = Instant::now();
        let loop_task = tokio::spawn(dispatcher.clone().run(shutdown.clone()));
        let ids = enqueue(&db, &completed("job-0123456789abcdef"), None);
        dispatcher.wake();

        fast.wait_for(1, WAIT).await;
        hanging.wait_for(1, WAIT).await;
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        shutdown.cancel();
        tokio::time::timeout(WAIT, loop_task).await.unwrap().unwrap();
        // Shutdown waited for the hanging send to time out and recorded it.
        assert!(started.elapsed() >= Duration::from_secs(3));
        let slow = db
            .read(|c| outbox::list_deliveries(c, &slow_hook.id, None, 10, 0))
            .unwrap()
            .0
            .remove(0);
        assert!(ids.contains(&slow.id));
        assert_eq!((slow.status, slow.attempts), (DeliveryStatus::Pending, 1));
        assert!(slow.last_error.unwrap().contains("timed out"));
    }
}

// ---------------------------------------------------------------------------------------------
// Through a real server: the API, real jobs' events, and the real binary killed mid-schedule.

mod api {
    use super::WAIT;
    use crate::receiver::{Receiver, Reply};
    use crate::support::executors::FakeExecutor;
    use crate::support::{TestApp, error_body, spawn_app_with, spawn_process};
    use persona::config::{Secret, Settings};
    use persona::worker::signing;
    use reqwest::StatusCode;
    use serde_json::{Value, json};
    use std::time::{Duration, Instant};

    /// A server whose webhooks may target the local receiver, with a 1 s, 1 s, 1 s schedule.
    async fn app(executor: FakeExecutor, tweak: impl FnOnce(&mut Settings) + 'static) -> TestApp {
        spawn_app_with(
            move |s| {
                s.webhooks.allow_private_targets = true;
                s.webhooks.retry_delays_seconds = vec![1, 1, 1];
                s.webhooks.timeout_seconds = 3;
                tweak(s);
            },
            executor.shared(),
        )
        .await
    }

    async fn register(app: &TestApp, body: Value) -> Value {
        let response = app.post_json("/api/v1/webhooks", &body).await;
        let status = response.status();
        let json: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{json}");
        json
    }

    async fn start_job(app: &TestApp, extra: Value) -> String {
        app.write_data_file("interviews.csv", "participant_id,quote\nP1,I plan my week on Sunday\n");
        let mut body = json!({"data": "interviews.csv", "count": 2});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        app.create_job(body).await
    }

    async fn deliveries(app: &TestApp, webhook_id: &str, query: &str) -> (Vec<Value>, u64) {
        let response = app
            .get(&format!("/api/v1/webhooks/{webhook_id}/deliveries{query}"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let total = response.headers()["x-total-count"].to_str().unwrap().parse().unwrap();
        (response.json().await.unwrap(), total)
    }

    async fn delivery(app: &TestApp, webhook_id: &str, delivery_id: &str) -> Value {
        let response = app
            .get(&format!("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Polls a delivery until `done` holds (bounded).
    async fn wait_for_delivery(
        app: &TestApp,
        webhook_id: &str,
        delivery_id: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let view = delivery(app, webhook_id, delivery_id).await;
            if done(&view) {
                return view;
            }
            assert!(
                Instant::now() < deadline,
                "delivery did not reach the expected state: {view}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    fn request_for<'a>(requests: &'a [crate::receiver::Received], event: &str) -> &'a crate::receiver::Received {
        requests
            .iter()
            .find(|r| r.header("x-persona-event") == Some(event))
            .unwrap_or_else(|| panic!("no {event} request among {}", requests.len()))
    }

    #[tokio::test]
    async fn registration_round_trip_never_returns_the_secret() {
        let app = app(FakeExecutor::succeeding(), |_| {}).await;
        let created = register(
            &app,
            json!({"url": "https://example.com/hook", "events": ["generation.started"], "secret": "s3cret"}),
        )
        .await;
        let id = created["webhook_id"].as_str().unwrap().to_string();
        assert!(id.starts_with("webhook-"));
        assert_eq!(created["url"], "https://example.com/hook");
        assert_eq!(created["events"], json!(["generation.started"]));
        assert_eq!(
            (created["has_secret"].clone(), created["active"].clone()),
            (json!(true), json!(true))
        );
        assert!(created["created_at"].as_str().unwrap().ends_with('Z'));
        assert!(!created.to_string().contains("s3cret"));

        let defaults = register(&app, json!({"url": "https://example.com/other"})).await;
        assert_eq!(defaults["events"], json!(["generation.completed", "generation.failed"]));
        assert_eq!(defaults["has_secret"], false);

        let fetched: Value = app.get(&format!("/api/v1/webhooks/{id}")).await.json().await.unwrap();
        assert_eq!(fetched, created);
        let listed: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
        assert_eq!(listed, json!([created, defaults]));
        assert!(!listed.to_string().contains("s3cret"));

        let deleted = app.delete(&format!("/api/v1/webhooks/{id}")).await;
        assert_eq!(deleted.status(), StatusCode::OK);
        let body: Value = deleted.json().await.unwrap();
        assert_eq!(
            body,
            json!({"success": true, "message": format!("Webhook {id} deleted successfully")})
        );
        error_body(
            app.get(&format!("/api/v1/webhooks/{id}")).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        error_body(
            app.delete(&format!("/api/v1/webhooks/{id}")).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }

    #[tokio::test]
    async fn registration_errors_name_the_field_or_the_address() {
        let app = app(FakeExecutor::succeeding(), |s| s.webhooks.allow_private_targets = false).await;
        for (body, field) in [
            (json!({"url": "not a url"}), "url"),
            (json!({"url": "ftp://example.com/hook"}), "url"),
            (json!({}), "url"),
            (json!({"url": 42}), "url"),
            (json!({"url": "https://example.com/h", "events": []}), "events"),
            (
                json!({"url": "https://example.com/h", "events": ["generation.exploded"]}),
                "events",
            ),
            (
                json!({"url": "https://example.com/h", "events": "generation.failed"}),
                "events",
            ),
            (json!({"url": "https://example.com/h", "secret": ""}), "secret"),
            (json!({"url": "https://example.com/h", "colour": "red"}), "colour"),
        ] {
            let response = app.post_json("/api/v1/webhooks", &body).await;
            let error = error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
            assert_eq!(error["details"]["fields"][0]["field"], field, "{body}: {error}");
        }
        for (url, address) in [
            ("http://127.0.0.1:9/hook", "127.0.0.1"),
            ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
            ("http://[fe80::1]/hook", "fe80::1"),
            ("http://10.1.2.3/hook", "10.1.2.3"),
        ] {
            let response = app.post_json("/api/v1/webhooks", &json!({"url": url})).await;
            let error = error_body(response, StatusCode::BAD_REQUEST, "invalid_input").await;
            assert!(error["message"].as_str().unwrap().contains(address), "{error}");
            assert_eq!(error["details"]["field"], "url");
        }
        let bad_json = app
            .request(reqwest::Method::POST, "/api/v1/webhooks")
            .header("content-type", "application/json")
            .body("{\"url\": ")
            .send()
            .await
            .unwrap();
        error_body(bad_json, StatusCode::BAD_REQUEST, "invalid_input").await;
        let not_json = app
            .request(reqwest::Method::POST, "/api/v1/webhooks")
            .header("content-type", "text/plain")
            .body("url=https://example.com/h")
            .send()
            .await
            .unwrap();
        error_body(not_json, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
        let not_an_object = app
            .post_json("/api/v1/webhooks", &json!(["https://example.com/h"]))
            .await;
        let error = error_body(not_an_object, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
        assert_eq!(error["details"]["fields"][0]["field"], "body");
        let listed: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
        assert_eq!(listed, json!([]));
    }

    #[tokio::test]
    async fn writes_need_the_token_and_unknown_ids_are_not_found() {
        let app = app(FakeExecutor::succeeding(), |s| s.auth.token = Some(Secret::new("tok"))).await;
        let hook = register(&app, json!({"url": "https://example.com/h"})).await;
        let id = hook["webhook_id"].as_str().unwrap();
        let ping: Value = app
            .post_json(&format!("/api/v1/webhooks/{id}/test"), &json!({}))
            .await
            .json()
            .await
            .unwrap();
        let delivery_id = ping["delivery_id"].as_str().unwrap();
        for path in [
            "/api/v1/webhooks".to_string(),
            format!("/api/v1/webhooks/{id}/test"),
            format!("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver"),
        ] {
            let response = app
                .post_json_with_token(&path, &json!({"url": "https://example.com/x"}), None)
                .await;
            let error = error_body(response, StatusCode::UNAUTHORIZED, "unauthorised").await;
            assert!(error["message"].is_string());
        }
        let response = app.delete_with_token(&format!("/api/v1/webhooks/{id}"), None).await;
        error_body(response, StatusCode::UNAUTHORIZED, "unauthorised").await;
        // Reads are open unless auth.protect_reads is set.
        assert_eq!(
            app.get_with_token("/api/v1/webhooks", None).await.status(),
            StatusCode::OK
        );

        // A delivery is only found under its own webhook.
        let other = register(&app, json!({"url": "https://example.com/other"})).await;
        let other_id = other["webhook_id"].as_str().unwrap();
        let response = app
            .get(&format!("/api/v1/webhooks/{other_id}/deliveries/{delivery_id}"))
            .await;
        error_body(response, StatusCode::NOT_FOUND, "not_found").await;

        let unknown = "webhook-000000000000";
        for path in [
            format!("/api/v1/webhooks/{unknown}"),
            format!("/api/v1/webhooks/{unknown}/deliveries"),
            format!("/api/v1/webhooks/{unknown}/deliveries/{delivery_id}"),
            format!("/api/v1/webhooks/{id}/deliveries/delivery-000000000000"),
        ] {
            error_body(app.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
        }
        for path in [
            format!("/api/v1/webhooks/{unknown}/test"),
            format!("/api/v1/webhooks/{id}/deliveries/delivery-000000000000/redeliver"),
        ] {
            error_body(
                app.post_json(&path, &json!({})).await,
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
        }
        let response = app
            .get(&format!("/api/v1/webhooks/{id}/deliveries?status=lost&limit=500"))
            .await;
        let error = error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
        assert_eq!(error["details"]["fields"][0]["field"], "status");
        assert_eq!(error["details"]["fields"][1]["field"], "limit");
    }

    #[tokio::test]
    async fn a_completed_job_notifies_subscribers_and_its_own_url_with_signed_payloads() {
        let receiver = Receiver::start().await;
        let app = app(FakeExecutor::succeeding(), |s| {
            s.webhooks.default_secret = Some(Secret::new("default-key"))
        })
        .await;
        let hook = register(
            &app,
            json!({"url": receiver.url("/all"), "secret": "hook-key",
                   "events": ["generation.started", "generation.completed", "generation.failed", "generation.cancelled"]}),
        )
        .await;
        let job_id = start_job(&app, json!({"webhook_url": receiver.url("/job")})).await;
        let job = app.wait_until_ended(&job_id).await;
        assert_eq!(job["status"], "completed");

        let requests = receiver.wait_for(3, WAIT).await;
        for request in &requests {
            assert_eq!(request.method, "POST");
            assert_eq!(request.header("content-type"), Some("application/json"));
            assert!(request.header("user-agent").unwrap().starts_with("persona-webhooks/"));
            assert!(request.header("x-persona-delivery").unwrap().starts_with("delivery-"));
            let key: &[u8] = if request.path == "/job" {
                b"default-key"
            } else {
                b"hook-key"
            };
            let signature = request.header("x-persona-signature").expect("signed");
            assert_eq!(signature, signing::sign(key, &request.body), "{}", request.path);
        }
        let started = request_for(&requests, "generation.started").json();
        assert_eq!(started["event"], "generation.started");
        assert_eq!(
            started["data"],
            json!({"job_id": job_id, "experiment_id": job["experiment_id"]})
        );
        let completed: Vec<&crate::receiver::Received> = requests
            .iter()
            .filter(|r| r.header("x-persona-event") == Some("generation.completed"))
            .collect();
        assert_eq!(completed.len(), 2, "one for the webhook, one for the job's own URL");
        assert_eq!(completed[0].body, completed[1].body);
        let body = completed[0].json();
        assert_eq!(
            body["data"],
            json!({
                "job_id": job_id,
                "personas_count": 2,
                "experiment_id": job["experiment_id"],
                "run_id": job["result"]["run_id"],
                "output_path": job["result"]["output_path"],
            })
        );
        assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(
            body.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["event", "timestamp", "data"]
        );

        // The operator view: both webhook deliveries delivered (once recorded), first attempt, 200.
        let id = hook["webhook_id"].as_str().unwrap();
        let deadline = Instant::now() + WAIT;
        let listed = loop {
            let (listed, total) = deliveries(&app, id, "?status=delivered").await;
            if total == 2 {
                break listed;
            }
            assert!(
                Instant::now() < deadline,
                "deliveries not recorded as delivered: {listed:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        assert!(listed.iter().all(|d| d["job_id"] == job_id && d["attempts"] == 1));
        let completed_id = listed.iter().find(|d| d["event"] == "generation.completed").unwrap()["delivery_id"]
            .as_str()
            .unwrap()
            .to_string();
        let detail = delivery(&app, id, &completed_id).await;
        assert_eq!(detail["payload"], body);
        assert_eq!(detail["attempt_history"][0]["status_code"], 200);
        assert_eq!(detail["attempt_history"][0]["trigger"], "scheduled");
    }

    #[tokio::test]
    async fn failed_and_cancelled_jobs_send_their_events_and_filters_hold() {
        let receiver = Receiver::start().await;
        let failing = app(
            FakeExecutor::failing("no usable research data in interviews.csv"),
            |_| {},
        )
        .await;
        let failed_only = register(
            &failing,
            json!({"url": receiver.url("/failed"), "events": ["generation.failed"]}),
        )
        .await;
        let completed_only = register(
            &failing,
            json!({"url": receiver.url("/completed"), "events": ["generation.completed"]}),
        )
        .await;
        let job_id = start_job(&failing, json!({"webhook_url": receiver.url("/job")})).await;
        let job = failing.wait_until_ended(&job_id).await;
        assert_eq!(job["status"], "failed");
        let requests = receiver.wait_for(2, WAIT).await;
        for request in &requests {
            assert_eq!(request.json()["event"], "generation.failed");
            assert_eq!(request.json()["data"], json!({"job_id": job_id, "error": job["error"]}));
            assert_eq!(request.header("x-persona-signature"), None);
        }
        let mut paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
        paths.sort();
        assert_eq!(paths, ["/failed", "/job"]);
        // The outbox rows were written with the job's state change: nothing for the other filter.
        let (none, total) = deliveries(&failing, completed_only["webhook_id"].as_str().unwrap(), "").await;
        assert!(none.is_empty() && total == 0);
        assert_eq!(
            deliveries(&failing, failed_only["webhook_id"].as_str().unwrap(), "")
                .await
                .1,
            1
        );

        let executor = FakeExecutor::waiting();
        let cancelling = app(executor.clone(), |_| {}).await;
        let hook = register(
            &cancelling,
            json!({"url": receiver.url("/cancelled"), "events": ["generation.cancelled"]}),
        )
        .await;
        let job_id = start_job(&cancelling, json!({"webhook_url": receiver.url("/job-cancelled")})).await;
        cancelling
            .wait_for_job(&job_id, |j| j["status"] == "running", WAIT)
            .await;
        let response = cancelling.delete(&format!("/api/v1/generate/{job_id}")).await;
        assert!(response.status().is_success());
        assert_eq!(cancelling.wait_until_ended(&job_id).await["status"], "cancelled");
        let requests = receiver.wait_for(3, WAIT).await;
        let cancelled = request_for(&requests, "generation.cancelled");
        assert_eq!(cancelled.path, "/cancelled");
        assert_eq!(cancelled.json()["data"], json!({"job_id": job_id}));
        // A job's own URL hears only completed and failed.
        assert_eq!(
            deliveries(&cancelling, hook["webhook_id"].as_str().unwrap(), "")
                .await
                .1,
            1
        );
        assert!(receiver.received().iter().all(|r| r.path != "/job-cancelled"));
    }

    #[tokio::test]
    async fn a_failing_receiver_gets_the_same_delivery_until_it_succeeds() {
        let receiver = Receiver::start().await;
        receiver.script([Reply::status(500), Reply::status(502)]);
        let app = app(FakeExecutor::succeeding(), |_| {}).await;
        let hook = register(&app, json!({"url": receiver.url("/"), "secret": "k"})).await;
        let job_id = start_job(&app, json!({})).await;
        app.wait_until_ended(&job_id).await;

        let requests = receiver.wait_for(3, WAIT).await;
        let id = requests[0].header("x-persona-delivery").unwrap();
        for pair in requests.windows(2) {
            assert_eq!(pair[1].header("x-persona-delivery"), Some(id));
            assert_eq!(pair[1].body, pair[0].body);
            assert_eq!(
                pair[1].header("x-persona-signature"),
                pair[0].header("x-persona-signature")
            );
            // 1 s ± 20 % between attempts.
            let gap = pair[1].arrived_at - pair[0].arrived_at;
            assert!(gap >= Duration::from_millis(750), "{gap:?}");
        }
        let webhook_id = hook["webhook_id"].as_str().unwrap();
        let detail = wait_for_delivery(&app, webhook_id, id, |d| d["status"] == "delivered").await;
        let codes: Vec<Value> = detail["attempt_history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["status_code"].clone())
            .collect();
        assert_eq!(codes, [json!(500), json!(502), json!(200)]);
        assert_eq!(detail["attempts"], 3);
        assert!(detail["delivered_at"].is_string());
    }

    #[tokio::test]
    async fn retry_after_is_honoured() {
        let receiver = Receiver::start().await;
        receiver.script([Reply::status(503).with_retry_after("2")]);
        let app = app(FakeExecutor::succeeding(), |_| {}).await;
        let hook = register(&app, json!({"url": receiver.url("/")})).await;
        let webhook_id = hook["webhook_id"].as_str().unwrap();
        let response = app
            .post_json(&format!("/api/v1/webhooks/{webhook_id}/test"), &json!({}))
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let ping: Value = response.json().await.unwrap();
        assert_eq!(
            (ping["event"].as_str(), ping["status"].as_str()),
            (Some("ping"), Some("pending"))
        );

        let requests = receiver.wait_for(2, WAIT).await;
        let gap = requests[1].arrived_at - requests[0].arrived_at;
        // The schedule alone would have waited at most 1.2 s.
        assert!(gap >= Duration::from_secs(2), "{gap:?}");
        let body = requests[0].json();
        assert_eq!(body["event"], "ping");
        assert_eq!(body["data"]["webhook_id"], webhook_id);
        assert_eq!(requests[1].header("x-persona-event"), Some("ping"));
    }

    #[tokio::test]
    async fn dead_letters_can_be_redelivered_by_hand() {
        let receiver = Receiver::start().await;
        receiver.set_default(Reply::status(500).with_body("down for maintenance"));
        let app = app(FakeExecutor::succeeding(), |s| {
            s.webhooks.retry_delays_seconds = vec![1, 1]
        })
        .await;
        let hook = register(&app, json!({"url": receiver.url("/")})).await;
        let webhook_id = hook["webhook_id"].as_str().unwrap();
        let ping: Value = app
            .post_json(&format!("/api/v1/webhooks/{webhook_id}/test"), &json!({}))
            .await
            .json()
            .await
            .unwrap();
        let delivery_id = ping["delivery_id"].as_str().unwrap();
        let dead = wait_for_delivery(&app, webhook_id, delivery_id, |d| d["status"] == "failed").await;
        assert_eq!(dead["attempts"], 3);
        assert_eq!(dead["next_attempt_at"], Value::Null);
        assert_eq!(dead["last_status_code"], 500);
        assert_eq!(dead["attempt_history"][2]["response_body"], "down for maintenance");
        assert_eq!(receiver.count(), 3);
        let (failed, total) = deliveries(&app, webhook_id, "?status=failed").await;
        assert_eq!((failed[0]["delivery_id"].as_str(), total), (Some(delivery_id), 1));

        receiver.set_default(Reply::ok());
        let path = format!("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver");
        let response = app.post_json(&path, &json!({})).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let requeued: Value = response.json().await.unwrap();
        assert_eq!(requeued["delivery_id"], delivery_id);
        let requests = receiver.wait_for(4, WAIT).await;
        assert_eq!(requests[3].header("x-persona-delivery"), Some(delivery_id));
        assert_eq!(requests[3].body, requests[0].body);
        let delivered = wait_for_delivery(&app, webhook_id, delivery_id, |d| d["status"] == "delivered").await;
        let last = &delivered["attempt_history"][3];
        assert_eq!(
            (last["attempt_number"].clone(), last["trigger"].clone()),
            (json!(4), json!("manual"))
        );
    }

    #[tokio::test]
    async fn a_410_disables_the_webhook_and_further_sends_conflict() {
        let receiver = Receiver::start().await;
        receiver.set_default(Reply::status(410));
        let app = app(FakeExecutor::succeeding(), |_| {}).await;
        let hook = register(&app, json!({"url": receiver.url("/gone")})).await;
        let webhook_id = hook["webhook_id"].as_str().unwrap();
        let ping: Value = app
            .post_json(&format!("/api/v1/webhooks/{webhook_id}/test"), &json!({}))
            .await
            .json()
            .await
            .unwrap();
        let delivery_id = ping["delivery_id"].as_str().unwrap();
        let failed = wait_for_delivery(&app, webhook_id, delivery_id, |d| d["status"] == "failed").await;
        assert_eq!(
            (failed["attempts"].clone(), failed["last_status_code"].clone()),
            (json!(1), json!(410))
        );
        let webhook: Value = app
            .get(&format!("/api/v1/webhooks/{webhook_id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(webhook["active"], false);
        assert!(
            webhook["disabled_reason"].as_str().unwrap().contains("410 Gone"),
            "{webhook}"
        );

        let response = app
            .post_json(&format!("/api/v1/webhooks/{webhook_id}/test"), &json!({}))
            .await;
        let error = error_body(response, StatusCode::CONFLICT, "conflict").await;
        assert!(error["message"].as_str().unwrap().contains("disabled"));
        let path = format!("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver");
        error_body(app.post_json(&path, &json!({})).await, StatusCode::CONFLICT, "conflict").await;
        // Jobs no longer queue anything for it.
        let job_id = start_job(&app, json!({})).await;
        app.wait_until_ended(&job_id).await;
        assert_eq!(deliveries(&app, webhook_id, "").await.1, 1);
        assert_eq!(receiver.count(), 1);
    }

    #[tokio::test]
    async fn redelivering_a_delivery_in_flight_is_a_conflict() {
        let receiver = Receiver::start().await;
        receiver.set_default(Reply::hang(Duration::from_secs(60)));
        let app = app(FakeExecutor::succeeding(), |_| {}).await;
        let hook = register(&app, json!({"url": receiver.url("/")})).await;
        let webhook_id = hook["webhook_id"].as_str().unwrap();
        let ping: Value = app
            .post_json(&format!("/api/v1/webhooks/{webhook_id}/test"), &json!({}))
            .await
            .json()
            .await
            .unwrap();
        let delivery_id = ping["delivery_id"].as_str().unwrap();
        receiver.wait_for(1, WAIT).await;
        assert_eq!(delivery(&app, webhook_id, delivery_id).await["status"], "delivering");
        let path = format!("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver");
        let error = error_body(app.post_json(&path, &json!({})).await, StatusCode::CONFLICT, "conflict").await;
        assert!(error["message"].as_str().unwrap().contains("being sent"));
    }

    #[tokio::test]
    async fn a_hanging_receiver_does_not_delay_job_completion() {
        let receiver = Receiver::start().await;
        receiver.set_default(Reply::hang(Duration::from_secs(60)));
        let app = app(FakeExecutor::succeeding(), |s| s.webhooks.timeout_seconds = 10).await;
        let hook = register(
            &app,
            json!({"url": receiver.url("/"), "events": ["generation.started", "generation.completed"]}),
        )
        .await;
        let job_id = start_job(&app, json!({})).await;
        let job = app.wait_until_ended(&job_id).await;
        assert_eq!(job["status"], "completed");
        // The receiver is still holding at least one request (it never answers within 10 s),
        // yet the job has completed and both deliveries are queued or in flight.
        receiver.wait_for(1, WAIT).await;
        let (rows, total) = deliveries(&app, hook["webhook_id"].as_str().unwrap(), "").await;
        assert_eq!(total, 2);
        assert!(
            rows.iter()
                .all(|d| d["status"] == "delivering" || d["status"] == "pending"),
            "{rows:?}"
        );
        assert!(rows.iter().all(|d| d["delivered_at"].is_null()));
    }

    #[tokio::test]
    async fn a_refused_private_target_is_not_contacted() {
        let receiver = Receiver::start().await;
        let app = app(FakeExecutor::succeeding(), |s| s.webhooks.allow_private_targets = false).await;
        let response = app
            .post_json("/api/v1/webhooks", &json!({"url": receiver.url("/")}))
            .await;
        let error = error_body(response, StatusCode::BAD_REQUEST, "invalid_input").await;
        assert!(error["message"].as_str().unwrap().contains("127.0.0.1"), "{error}");
        let listed: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
        assert_eq!(listed, json!([]));
        assert_eq!(receiver.count(), 0);
    }

    #[tokio::test]
    async fn a_delivery_survives_a_killed_server_and_arrives_with_the_same_id() {
        let receiver = Receiver::start().await;
        receiver.set_default(Reply::status(503));
        let dir = tempfile::tempdir().unwrap();
        let envs = [
            ("PERSONA_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true"),
            ("PERSONA_WEBHOOKS_RETRY_DELAYS_SECONDS", "1,2,2,2,2"),
            ("PERSONA_WEBHOOKS_TIMEOUT_SECONDS", "2"),
        ];
        let first = spawn_process(dir.path(), &envs).await;
        let response = first
            .client
            .post(first.url("/api/v1/webhooks"))
            .json(&json!({"url": receiver.url("/"), "secret": "k"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let webhook_id = response.json::<Value>().await.unwrap()["webhook_id"]
            .as_str()
            .unwrap()
            .to_string();
        let ping: Value = first
            .client
            .post(first.url(&format!("/api/v1/webhooks/{webhook_id}/test")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let delivery_id = ping["delivery_id"].as_str().unwrap().to_string();
        let detail_url = format!("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}");

        // Kill the process while the delivery waits for its next retry.
        let deadline = Instant::now() + WAIT;
        loop {
            let view: Value = first
                .client
                .get(first.url(&detail_url))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if view["status"] == "pending" && view["attempts"].as_u64() >= Some(2) {
                break;
            }
            assert!(Instant::now() < deadline, "the delivery never failed twice: {view}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        first.kill_hard();
        let attempts_before = receiver.count();
        receiver.set_default(Reply::ok());

        let second = spawn_process(dir.path(), &envs).await;
        let requests = receiver.wait_for(attempts_before + 1, WAIT).await;
        let after = &requests[attempts_before];
        assert_eq!(after.header("x-persona-delivery"), Some(delivery_id.as_str()));
        assert_eq!(after.body, requests[0].body);
        assert!(signing::verify(
            b"k",
            &after.body,
            after.header("x-persona-signature").unwrap()
        ));
        let deadline = Instant::now() + WAIT;
        loop {
            let view: Value = second
                .client
                .get(second.url(&detail_url))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if view["status"] == "delivered" {
                break;
            }
            assert!(Instant::now() < deadline, "not recorded as delivered: {view}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
