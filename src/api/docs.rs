//! Interactive documentation served from the binary, so it works without network access:
//! Swagger UI at `/docs/` (the `vendored` build of utoipa-swagger-ui) and ReDoc at `/redoc`
//! (the standalone bundle from npm's `redoc` package, in `assets/redoc/`).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const REDOC_JS: &[u8] = include_bytes!("../../assets/redoc/redoc.standalone.js");

const REDOC_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Persona API - ReDoc</title>
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="/redoc/redoc.standalone.js"></script>
  </body>
</html>
"#;

/// Registers `/docs` (Swagger UI and the OpenAPI document at `/openapi.json`) and `/redoc`.
pub fn configure(cfg: &mut web::ServiceConfig, openapi: utoipa::openapi::OpenApi) {
    cfg.service(utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi))
        .route("/docs", web::get().to(redirect_to_docs))
        .route("/redoc", web::get().to(redoc_page))
        .route("/redoc/redoc.standalone.js", web::get().to(redoc_js));
}

async fn redirect_to_docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

async fn redoc_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(REDOC_PAGE)
}

async fn redoc_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(REDOC_JS)
}
