//! The operator dashboard at `/ui/` (contract section 9): plain HTML, CSS and JavaScript
//! modules in `assets/`, embedded in the binary, so there is no build step and no second server.
//!
//! The asset routes need no token: the page holds no data. Everything it shows comes from the
//! JSON API with `Authorization: Bearer`, so tenancy, RLS and every check stay the API's. The
//! token arrives in the URL fragment (`/ui/#token=<jwt>`), which browsers never send, so it
//! reaches neither this server nor its logs.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

use super::error::ApiError;

/// Scripts and styles only from these files (no inline code, no eval), data only from this
/// origin's API, no framing, no forms posting anywhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// Revalidate every time: the assets change with the binary, and they are small.
const CACHE_CONTROL: &str = "no-cache";

/// (file name, content type, bytes) of every asset.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("index.html", HTML, include_bytes!("assets/index.html")),
    ("style.css", CSS, include_bytes!("assets/style.css")),
    ("icon.svg", SVG, include_bytes!("assets/icon.svg")),
    ("main.js", JS, include_bytes!("assets/main.js")),
    ("api.js", JS, include_bytes!("assets/api.js")),
    ("dom.js", JS, include_bytes!("assets/dom.js")),
    ("session.js", JS, include_bytes!("assets/session.js")),
    ("overview.js", JS, include_bytes!("assets/overview.js")),
    ("tasks.js", JS, include_bytes!("assets/tasks.js")),
    ("detail.js", JS, include_bytes!("assets/detail.js")),
    ("dag.js", JS, include_bytes!("assets/dag.js")),
    ("dag_layout.js", JS, include_bytes!("assets/dag_layout.js")),
    ("approvals.js", JS, include_bytes!("assets/approvals.js")),
    ("decide.js", JS, include_bytes!("assets/decide.js")),
];

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// The names `/ui/{file}` serves (the OpenAPI document lists them).
pub fn asset_names() -> Vec<&'static str> {
    ASSETS.iter().map(|(name, _, _)| *name).collect()
}

/// Total size of the embedded assets (the issue allows 500 KB).
pub fn assets_size() -> usize {
    ASSETS.iter().map(|(_, _, bytes)| bytes.len()).sum()
}

/// `/ui` → `/ui/`, so relative asset URLs resolve under `/ui/`.
#[utoipa::path(get, path = "/ui", operation_id = "dashboard_redirect", tag = "dashboard",
    responses((status = 308, description = "To `/ui/`.")))]
pub async fn redirect() -> Redirect {
    Redirect::permanent("/ui/")
}

/// The dashboard. `/ui/#token=<jwt>` opens signed in; `?workspace=<id>` selects the workspace.
#[utoipa::path(get, path = "/ui/", operation_id = "dashboard", tag = "dashboard",
    responses((status = 200, description = "The dashboard's page.", body = String, content_type = "text/html")))]
pub async fn index() -> Response {
    serve("index.html")
}

/// One of the dashboard's embedded scripts, styles or icons.
#[utoipa::path(get, path = "/ui/{file}", operation_id = "dashboard_asset", tag = "dashboard",
    params(("file" = String, Path, description = "The asset's file name.")),
    responses(
        (status = 200, description = "The asset.", content(
            (String = "text/javascript"),
            (String = "text/css"),
            (String = "image/svg+xml"),
            (String = "text/html"),
        )),
        (status = 404, description = "TASK_010: no such asset.", body = crate::api::error::ErrorEnvelope),
    ))]
pub async fn asset(Path(file): Path<String>) -> Response {
    serve(&file)
}

fn serve(file: &str) -> Response {
    let Some((_, content_type, bytes)) = ASSETS.iter().find(|(name, _, _)| *name == file) else {
        return ApiError {
            status: StatusCode::NOT_FOUND,
            code: crate::codes::Code::InvalidRequest.as_str(),
            message: "no such dashboard asset".into(),
        }
        .into_response();
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        // The page's URL names a workspace; it goes nowhere else.
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ),
    ];
    (headers, *bytes).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_assets_stay_under_500_kb() {
        assert!(assets_size() < 500 * 1024, "{} bytes", assets_size());
    }

    #[test]
    fn every_asset_in_the_directory_is_served() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/ui/assets");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        on_disk.sort();
        let mut served: Vec<String> = ASSETS.iter().map(|(n, _, _)| n.to_string()).collect();
        served.sort();
        assert_eq!(on_disk, served);
    }
}
