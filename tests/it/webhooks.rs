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
