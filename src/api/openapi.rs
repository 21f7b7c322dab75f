//! The OpenAPI 3.1 document of the API (contract section 9). Derived from each handler's
//! `#[utoipa::path]` and the request and response types themselves, so it cannot drift from the
//! code; assembled here; served without authentication at `GET /api/openapi.json`; committed as
//! `docs/openapi.json` (tests/openapi.rs fails when the two differ; `taskfleet openapi >
//! docs/openapi.json` regenerates it).
//!
//! A new route: its handler gets a `#[utoipa::path]`, and one line in `paths(...)` below.

use std::sync::LazyLock;

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use utoipa::openapi::path::Operation;
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Required};
use utoipa::{Modify, OpenApi};

use super::routes::{
    agents, approvals, audit, decompose, execute, health, lifecycle, metrics, status, strategies,
    strategy_list, tasks, templates,
};
use super::ui;

#[derive(OpenApi)]
#[openapi(
    paths(
        health::healthz,
        health::readyz,
        health::metrics,
        serve,
        strategies::create,
        strategy_list::list,
        decompose::decompose,
        tasks::create,
        execute::execute,
        status::status,
        tasks::get,
        audit::list,
        lifecycle::cancel,
        lifecycle::retry,
        approvals::approve,
        approvals::reject,
        approvals::list,
        agents::list,
        templates::create,
        templates::list,
        templates::delete,
        metrics::orchestrator,
        ui::redirect,
        ui::index,
        ui::asset,
    ),
    modifiers(&Contract),
    tags(
        (name = "tasks", description = "Create, decompose into, run, inspect, cancel and retry tasks."),
        (name = "strategies", description = "Marketing strategies, decomposed into task DAGs."),
        (name = "approvals", description = "Human approval gates: results awaiting a decision, approve and reject."),
        (name = "agents", description = "The agent registry: each agent's circuit breaker, and figures from the caller's own tasks; never a URL."),
        (name = "templates", description = "Recurring task templates: a task body created on a cron schedule in a time zone."),
        (name = "metrics", description = "A workspace's orchestrator metrics and alerts."),
        (name = "health", description = "Liveness, readiness and Prometheus metrics; no token."),
        (name = "schema", description = "This document; no token."),
        (name = "dashboard", description = "The operator dashboard's page and assets; no token (its data comes from the routes above, with the bearer token)."),
    )
)]
struct ApiDoc;

/// What the derive cannot say: the contract's overview and the bearer scheme.
struct Contract;

impl Modify for Contract {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        doc.info.title = "taskfleet API".into();
        doc.info.description = Some(OVERVIEW.into());
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "HS256, signed with TASKFLEET_JWT_SECRET (`taskfleet token --sub USER \
                 --workspace UUID` mints one). Claims: `sub`, `workspaces` (the workspace UUIDs \
                 the caller is a member of), `exp`.",
            ))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(BEARER, SecurityScheme::Http(bearer));
        if let Some(op) = doc
            .paths
            .paths
            .get_mut("/ui/{file}")
            .and_then(|item| item.get.as_mut())
        {
            list_assets(op);
        }
        for item in doc.paths.paths.values_mut() {
            if let Some(body) = item.post.as_mut().and_then(|op| op.request_body.as_mut()) {
                absent_not_null(body);
            }
            for op in [&mut item.get, &mut item.post, &mut item.delete]
                .into_iter()
                .flatten()
            {
                database_unavailable(op);
            }
        }
    }
}

/// `/ui/{file}`: the embedded assets by name, so a client (or a fuzzer) knows which exist.
fn list_assets(op: &mut Operation) {
    let names = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ui::asset_names()))
        .build();
    for param in op.parameters.iter_mut().flatten() {
        if param.name == "file" {
            param.schema = Some(RefOr::T(Schema::Object(names.clone())));
        }
    }
}

/// Every route that can answer 500 reads the database, so it can also answer 503 while the
/// database is away (`ApiError::unavailable`); said once here rather than on each handler.
fn database_unavailable(op: &mut Operation) {
    const WHY: &str = "TASK_000: the database is unreachable, read-only or out of connections \
        (answered within about 3 s, with `Retry-After: 5`); nothing was changed.";
    let responses = &mut op.responses.responses;
    let Some(RefOr::T(internal)) = responses.get("500").cloned() else {
        return;
    };
    match responses.get_mut("503") {
        Some(RefOr::T(existing)) => {
            existing.description = format!("{} {WHY}", existing.description)
        }
        _ => {
            let mut unavailable = internal;
            unavailable.description = WHY.into();
            responses.insert("503".into(), RefOr::T(unavailable));
        }
    }
}

/// `request_body(content = Option<T>)` is how utoipa marks a body optional (cancel, retry), but
/// it also makes the schema `oneOf: [null, T]`. An optional body may be absent; the JSON value
/// `null` is not an object and answers 400 like any other. So the schema is `T` alone.
fn absent_not_null(body: &mut RequestBody) {
    if body.required == Some(Required::True) {
        return;
    }
    for media in body.content.values_mut() {
        if let Some(RefOr::T(Schema::OneOf(one_of))) = &media.schema {
            let not_null: Vec<_> = one_of
                .items
                .iter()
                .filter(|s| !matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null)))
                .cloned()
                .collect();
            if let [only] = not_null.as_slice() {
                media.schema = Some(only.clone());
            }
        }
    }
}

/// The security scheme's name, as the handlers' `security(("bearer" = []))` spell it.
const BEARER: &str = "bearer";

const OVERVIEW: &str = "\
Postgres-native task orchestrator. Every route under `/api` except this document needs \
`Authorization: Bearer <JWT>`; a caller sees and changes only the rows of its token's \
workspaces, and a task or strategy of another workspace answers 404 exactly as a missing one.

**Tasks.** `priority` is 1 (lowest) to 10; 9 and 10 are urgent and ignore the time-of-day \
rules. `status` is one of `queued`, `in_progress`, `completed`, `failed`, `cancelled`. \
`task_type` is one of the specification's nine types.

**Failure classes.** An agent's 2xx answer completes the task (its JSON body becomes \
`output_data`). A timeout, a connection error, 408, 429 (honouring `Retry-After`) and 5xx are \
transient: the task is queued again after a backoff of `base * 2^n` until `max_retries` is \
used up, then fails with TASK_005. Any other 4xx is permanent: the task fails at once. An \
unknown or disabled agent is TASK_004: the task stays queued, no retry consumed. A cancelled or \
failed task cancels its dependents (TASK_006).

**Errors.** Every error, from every route, is \
`{\"success\": false, \"error\": {\"code\": \"TASK_0xx\", \"message\": \"...\"}}`; so \
are the router's own answers: a path this document does not list is 404 TASK_010, a method a \
path does not list 405 TASK_010, and any request whose head is over 100 header lines or 16 KiB \
431 TASK_010. Each response below names the codes it can carry: TASK_001 strategy not found (404), TASK_002 \
decomposition failed (422), TASK_003 task not found (404), TASK_004 agent not available, \
TASK_006 dependency not met (409), TASK_007 invalid task type (422), TASK_009 invalid state \
change (409), TASK_010 invalid request (400; 413 for a body over 1 MiB or a list over its \
limit; 422 for a value breaking a documented rule), TASK_011 invalid dependencies (422), \
TASK_012 missing or invalid credentials (401), TASK_013 workspace not found (404), TASK_016 \
template not found (404), TASK_000 internal error (500) or database unreachable (503).";

/// The document, pretty-printed with a trailing newline: what `GET /api/openapi.json` serves
/// and `docs/openapi.json` holds. Built once; it is the same for the life of the binary.
pub fn json() -> &'static str {
    static DOC: LazyLock<String> = LazyLock::new(|| {
        // Through serde_json::Value, whose maps sort their keys: a stable, diffable file. It
        // cannot fail (every map key is a string); tests/openapi.rs builds it on every run.
        let value = serde_json::to_value(ApiDoc::openapi()).expect("the document serializes");
        let mut text = serde_json::to_string_pretty(&value).expect("the document serializes");
        text.push('\n');
        text
    });
    &DOC
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", operation_id = "openapi_document", tag = "schema",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API (equals docs/openapi.json).", body = Object, content_type = "application/json")))]
pub async fn serve() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], json())
}
