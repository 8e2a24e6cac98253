//! The page shells: layout, navigation and the token prompt. A shell holds no data; its script
//! loads the matching fragment (`/ui/x` → `/ui/fragments/x`, same query) with the token.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use maud::{DOCTYPE, Markup, html};

/// Top-level sections: path segment, navigation label, page heading.
const SECTIONS: [(&str, &str, &str); 4] = [
    ("", "Generate", "Start a generation"),
    ("jobs", "Jobs", "Jobs"),
    ("experiments", "Experiments", "Experiments"),
    ("webhooks", "Webhooks", "Webhooks"),
];

/// Pages reached from the sections, with their heading.
const SUBPAGES: [(&str, &str, &str); 2] = [
    ("personas", "experiments", "Persona"),
    ("compare", "experiments", "Compare runs"),
];

/// Security headers of every HTML page: only this origin's scripts, styles and connections.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

pub fn html_response(status: actix_web::http::StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

/// The shell of `/ui/<tail>`: 404 for a path no section knows.
pub async fn shell(req: HttpRequest) -> HttpResponse {
    let tail = req.match_info().query("tail");
    let first = tail.split('/').next().unwrap_or("");
    let found = SECTIONS
        .iter()
        .find(|(segment, ..)| *segment == first && (!segment.is_empty() || tail.is_empty()))
        .map(|(segment, _, heading)| (*segment, *heading))
        .or_else(|| {
            SUBPAGES
                .iter()
                .find(|(segment, ..)| *segment == first)
                .map(|(_, section, heading)| (*section, *heading))
        });
    let Some((section, heading)) = found else {
        return not_found_page();
    };
    let mut fragment = format!("/ui/fragments/{tail}");
    if !req.query_string().is_empty() {
        fragment = format!("{fragment}?{}", req.query_string());
    }
    html_response(
        actix_web::http::StatusCode::OK,
        layout(
            heading,
            section,
            html! {
                div #view data-fragment=(fragment) aria-busy="true" {
                    p.loading { "Loading…" }
                }
            },
        ),
    )
}

/// An unknown workspace path or asset: the API's 404 envelope (every error response has it).
pub fn not_found_page() -> HttpResponse {
    use actix_web::ResponseError;
    crate::api::error::ApiError::new(crate::api::error::ErrorCode::NotFound, "no such page in the workspace")
        .error_response()
}

fn layout(heading: &str, section: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (heading) " · Persona" }
                link rel="stylesheet" href=(super::bundle::asset_url("app.css"));
                script src=(super::bundle::asset_url("app.js")) defer {}
            }
            body {
                a.skip-link href="#main" { "Skip to content" }
                header.topbar {
                    a.brand href="/ui/" { "Persona" }
                    nav aria-label="Main" {
                        ul {
                            @for (segment, label, _) in SECTIONS {
                                li {
                                    a href=(format!("/ui/{segment}")) aria-current=[(segment == section).then_some("page")] { (label) }
                                }
                            }
                        }
                    }
                    button #token-button type="button" { "API token" }
                }
                main #main tabindex="-1" {
                    h1 { (heading) }
                    (body)
                }
                dialog #token-dialog aria-labelledby="token-title" {
                    form #token-form method="dialog" {
                        h2 #token-title { "API token" }
                        p #token-reason { "This server asks for its API token. It is kept for this browser tab only and sent as a bearer header." }
                        label for="token-input" { "Token" }
                        input #token-input type="password" name="token" autocomplete="off" required;
                        div.actions {
                            button type="submit" value="save" { "Use token" }
                            button #token-forget type="button" { "Forget token" }
                            button #token-cancel type="button" { "Cancel" }
                        }
                    }
                }
                noscript { p.notice { "The workspace needs JavaScript to load its data with your API token." } }
            }
        }
    }
}
