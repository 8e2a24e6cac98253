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
    use persona::store::Db;
    use persona::store::webhooks::{self as outbox, DeliveryStatus, JobEvent, NewWebhook, Trigger, Webhook};
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
        }
    }

    fn register(db: &Db, url: &str, secret: Option<&str>) -> Webhook {
        let new = NewWebhook::parse(Some(url), None, secret.map(str::to_string), true).unwrap();
        db.write(|tx| outbox::create_webhook(tx, &new, &now_rfc3339())).unwrap()
    }

    fn completed(job_id: &str) -> JobEvent {
        JobEvent::Completed {
            job_id: job_id.into(),
            personas_count: 2,
            experiment_id: "exp-0123456789abcdef".into(),
            run_id: "run-0123456789abcdef".into(),
            output_path: Some("/srv/output/run".into()),
        }
    }

    fn enqueue(db: &Db, event: &JobEvent, job_url: Option<&str>) -> Vec<String> {
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
        let hook = db.read(|c| outbox::get_webhook(c, &hook.id)).unwrap();
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
        let failed = JobEvent::Failed {
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
