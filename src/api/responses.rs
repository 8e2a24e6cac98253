//! The error responses operations share, declared once for the OpenAPI document: each is an
//! `ErrorBody` with the headers the server sends with it, registered under
//! `components.responses` and named by the handlers' `#[utoipa::path]` as
//! `(status = 429, response = RateLimited)`.

use utoipa::ToResponse;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};

/// A response header: its name, JSON type and description.
type HeaderSpec = (&'static str, Type, &'static str);

/// An `ErrorBody` answer with `headers`.
fn error_response(description: &str, headers: &[HeaderSpec]) -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    let mut response = ResponseBuilder::new()
        .description(description)
        .content("application/json", content);
    for (name, schema_type, header_description) in headers {
        let header = HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(schema_type.clone())))
            .description(Some(*header_description))
            .build();
        response = response.header(*name, header);
    }
    response.build().into()
}

/// Declares a shared error response: a unit type whose `ToResponse` is its `ErrorBody` answer.
macro_rules! error_responses {
    ($($(#[$doc:meta])* $name:ident = $description:literal $([$($header:expr),*])?;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl<'s> ToResponse<'s> for $name {
            fn response() -> (&'s str, RefOr<Response>) {
                (stringify!($name), error_response($description, &[$($($header),*)?]))
            }
        }
    )*};
}

const RETRY_AFTER: HeaderSpec = ("Retry-After", Type::Integer, "Seconds to wait before retrying");
const WWW_AUTHENTICATE: HeaderSpec = ("WWW-Authenticate", Type::String, "Bearer");

error_responses! {
    /// 429, with `Retry-After`: the rate limit, or for job creation the unfinished jobs of a client.
    RateLimited = "Rate limit exceeded (creating a job: or too many unfinished jobs for this client)" [RETRY_AFTER];
    /// 401 of an operation that needs the token whenever the server has one.
    Unauthorised = "Authentication required" [WWW_AUTHENTICATE];
    /// 401 of a read, which needs the token only when `auth.protect_reads` is set.
    ReadUnauthorised = "Authentication required (when reads are protected)" [WWW_AUTHENTICATE];
    /// 400 of a JSON body that does not parse.
    MalformedJson = "The body is not valid JSON";
    /// 413 of a body over `server.max_body_bytes`.
    BodyTooLarge = "Request body too large";
    /// 415 of a body that is not JSON.
    NotJson = "Content-Type is not application/json";
    /// 500.
    InternalError = "Internal error";
    /// 503 when the database cannot be reached.
    DatabaseUnavailable = "The database is unavailable";
}
