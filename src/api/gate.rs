//! The one middleware around every route. In order: `HEAD` routed as `GET`, CORS (preflights
//! answered here), the rate limit (429), authentication (401), the body deadline, then the route;
//! its response gets the envelope if it is an error without one, then the rate-limit and CORS
//! headers (401 and 429 answers get them too).
//!
//! One layer instead of one per concern: each `from_fn` layer costs a boxed future and a
//! reference-counted service call on every request, and each read the live settings again.

use super::state::AppState;
use super::{auth, cors, error, limits, rate_limit};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

pub async fn gate(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    limits::route_head_as_get(&mut req);
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(error::envelope(next.call(req).await?.map_into_boxed_body()));
    };
    let live = state.live.current();
    let allow_origin = match cors::check(&req, &live) {
        cors::CorsCheck::Preflight(answer) => return Ok(req.into_response(answer)),
        cors::CorsCheck::Pass(allow) => allow,
    };
    let mut response = match rate_limit::check_request(&req, &state.limiter, &live.rate_limit) {
        rate_limit::RateCheck::Refused(answer) => req.into_response(answer),
        check => {
            let mut response = match auth::refusal(&req, &live) {
                Some(refused) => req.into_response(refused),
                None => {
                    limits::add_body_deadline(&mut req, state.settings.server.request_timeout_seconds);
                    error::envelope(next.call(req).await?.map_into_boxed_body())
                }
            };
            if let rate_limit::RateCheck::Allowed(decision) = check {
                rate_limit::set_headers(response.headers_mut(), &decision);
            }
            response
        }
    };
    if let Some(allow) = allow_origin {
        cors::add_response_headers(response.headers_mut(), allow);
    }
    Ok(response)
}
