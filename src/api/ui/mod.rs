//! The researchers' web workspace at `/ui/`.
//!
//! Shape: every page is a public *shell* (layout, navigation, token prompt; no data) whose
//! script fetches the page's *fragment* — server-rendered HTML under `/ui/fragments/...` — with
//! the API token as a bearer header. Fragments are guarded exactly like the API's reads (the
//! auth middleware treats them as reads), so with `auth.protect_reads` nothing is shown without
//! the token, and the token never appears in a URL. Actions (upload, generate, cancel, retry,
//! scripts, redeliver, test) call the JSON API from the browser. Reads go through
//! [`backend`], the one file that calls the library; the rest is presentation.
//!
//! Every asset is compiled into the binary: the pages work offline.

pub mod backend;
mod bundle;
mod fragments;
mod pages;
mod render;

pub use bundle::{SCRIPT, STYLESHEET};

use actix_web::http::header;
use actix_web::{HttpResponse, web};

/// Mounts the workspace: `/ui` (redirect), the assets, the fragments and the page shells.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/ui", web::get().to(redirect_to_workspace))
        .route("/ui/assets/{name}", web::get().to(asset));
    fragments::configure(cfg);
    cfg.route("/ui/{tail:.*}", web::get().to(pages::shell));
}

/// Paths everyone may load whatever the settings: the shells and assets carry no data. The
/// fragments (`/ui/fragments/...`) are not among them.
pub fn is_public_path(path: &str) -> bool {
    (path == "/ui" || path.starts_with("/ui/")) && !path.starts_with("/ui/fragments/")
}

async fn redirect_to_workspace() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/ui/"))
        .finish()
}

async fn asset(name: web::Path<String>) -> HttpResponse {
    let (body, content_type) = match name.as_str() {
        "app.css" => (STYLESHEET, "text/css; charset=utf-8"),
        "app.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        _ => return pages::not_found_page(),
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells_and_assets_are_public_fragments_are_not() {
        assert!(is_public_path("/ui"));
        assert!(is_public_path("/ui/"));
        assert!(is_public_path("/ui/jobs"));
        assert!(is_public_path("/ui/assets/app.js"));
        assert!(!is_public_path("/ui/fragments/jobs"));
        assert!(!is_public_path("/uix"));
        assert!(!is_public_path("/api/v1/generate"));
    }
}
