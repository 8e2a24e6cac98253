//! Webhook dispatch throughput: enqueues deliveries into a temporary database and runs the real
//! dispatcher loop against a fast local receiver on 127.0.0.1, printing deliveries per second.
//!
//! `cargo bench --bench webhooks` (release). `WEBHOOK_BENCH_DELIVERIES` changes the count
//! (default 5000); the dispatcher uses the default `webhooks.concurrency`.

// The receiver is shared with the integration tests, which use all of it; the benchmark needs
// only a part.
#[allow(dead_code)]
#[path = "../tests/it/receiver.rs"]
mod receiver;

use persona::config::WebhookSettings;
use persona::domain::time::now_rfc3339;
use persona::domain::webhooks::{DeliveryStatus, NewWebhook, WebhookEvent};
use persona::store::Db;
use persona::store::deliveries as outbox;
use persona::store::webhooks as registrations;
use persona::worker::dispatcher::{DeliveryNotifier, Dispatcher};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Webhooks registered; every job event fans out to all of them.
const WEBHOOKS: usize = 4;

fn main() {
    let deliveries: usize = std::env::var("WEBHOOK_BENCH_DELIVERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(deliveries));
}

async fn run(deliveries: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open_path(&dir.path().join("persona.db"), 4, 5000).expect("open the database");
    db.migrate().expect("migrate");
    let receiver = receiver::Receiver::start().await;
    let settings = WebhookSettings {
        allow_private_targets: true,
        ..WebhookSettings::default()
    };

    let urls: Vec<String> = (0..WEBHOOKS).map(|n| receiver.url(&format!("/hook/{n}"))).collect();
    let jobs = deliveries.div_ceil(WEBHOOKS);
    let enqueue_started = Instant::now();
    db.write(move |tx| {
        for url in &urls {
            let new = NewWebhook::parse(Some(url), None, Some("bench-secret".into()), true)?;
            registrations::create_webhook(tx, &new, &now_rfc3339())?;
        }
        for n in 0..jobs {
            let event = WebhookEvent::Completed {
                job_id: format!("job-{n:016x}"),
                personas_count: 3,
                experiment_id: "exp-0000000000000000".into(),
                run_id: format!("run-{n:016x}"),
                output_path: Some(format!("./output/run-{n:016x}")),
            };
            outbox::enqueue_job_event(tx, &event, None, &now_rfc3339())?;
        }
        Ok(())
    })
    .expect("enqueue");
    let enqueue_time = enqueue_started.elapsed();
    let total = jobs * WEBHOOKS;

    let dispatcher = Dispatcher::new(db.clone(), &settings, DeliveryNotifier::default());
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let loop_task = tokio::spawn(dispatcher.run(shutdown.clone()));
    let delivered = loop {
        let delivered: i64 = db
            .read_async(|c| {
                Ok(c.query_row(
                    "SELECT COUNT(*) FROM webhook_deliveries WHERE status = ?1",
                    [DeliveryStatus::Delivered.as_str()],
                    |r| r.get(0),
                )?)
            })
            .await
            .expect("count delivered");
        if delivered as usize >= total || started.elapsed() > Duration::from_secs(300) {
            break delivered as usize;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let elapsed = started.elapsed();
    shutdown.cancel();
    loop_task.await.expect("dispatcher loop");

    assert_eq!(delivered, total, "every delivery should have been delivered");
    assert_eq!(
        receiver.count(),
        total,
        "the receiver should have seen each delivery once"
    );
    println!(
        "webhooks: enqueued {total} deliveries in {:.0} ms ({:.0}/s)",
        enqueue_time.as_secs_f64() * 1000.0,
        total as f64 / enqueue_time.as_secs_f64()
    );
    println!(
        "webhooks: delivered {total} deliveries in {:.2} s with concurrency {}: {:.0} deliveries/s",
        elapsed.as_secs_f64(),
        settings.concurrency,
        total as f64 / elapsed.as_secs_f64()
    );
}
