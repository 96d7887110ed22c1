//! Cross-site WebSocket hijacking guard: a browser request from another
//! origin is refused unless that origin is allowed. Requests without
//! `Origin` (non-browser clients) are not browser-driven and pass.

use actix_web::http::header;
use actix_web::HttpRequest;

pub fn allowed(req: &HttpRequest, allowlist: &[String]) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let origin = origin.trim_end_matches('/');
    let host = req.connection_info().host().to_owned();
    let same = origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(&host));
    same || allowlist.iter().any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
}
