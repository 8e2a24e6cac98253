//! The yardstick of `scripts/load-test.sh`: a bare actix-web server that answers
//! `GET /<name>` with the bytes of `<dir>/<name>`, read once at start, as `application/json`.
//! No middleware, no database: what the framework alone costs for a response of that size.
//!
//! `cargo run --release --example bare_route -- <port> <dir> [workers]` (workers default to the
//! number of cores, as for `persona serve`).

use actix_web::http::header::ContentType;
use actix_web::web::Bytes;
use actix_web::{App, HttpResponse, HttpServer, web};
use std::collections::HashMap;
use std::sync::Arc;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bare_route <port> <dir> [workers]";
    let port: u16 = args.next().and_then(|p| p.parse().ok()).expect(usage);
    let dir = args.next().expect(usage);
    let workers = args
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    let mut bodies = HashMap::new();
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        bodies.insert(name, Bytes::from(std::fs::read(entry.path())?));
    }
    let bodies = Arc::new(bodies);
    HttpServer::new(move || {
        let bodies = bodies.clone();
        App::new().route(
            "/{name}",
            web::get().to(move |name: web::Path<String>| {
                let body = bodies.get(name.as_str()).cloned();
                async move {
                    match body {
                        Some(body) => HttpResponse::Ok().insert_header(ContentType::json()).body(body),
                        None => HttpResponse::NotFound().finish(),
                    }
                }
            }),
        )
    })
    .workers(workers)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
