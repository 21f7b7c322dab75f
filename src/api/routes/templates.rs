//! Recurring task templates: `POST /api/templates`, `GET /api/templates?workspace_id=`,
//! `DELETE /api/templates/{id}` (issue 17). A template's task body is checked at creation by
//! POST /api/tasks's own rules (`tasks::validate_embedded`), so a tick never meets a body it
//! cannot create; the `templates` sweep (`crate::templates`) creates the tasks.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::tasks;
use crate::api::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::api::extract::{ApiQuery, Caller, IdPath, StrictJson};
use crate::api::state::AppState;
use crate::api::{store, tenancy};
use crate::audit::{self, Action};
use crate::codes::Code;
use crate::templates::{NewTemplate, Template, model, store as templates};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTemplate {
    /// A workspace the token is a member of.
    workspace_id: Uuid,
    /// Not blank, at most 200 characters.
    #[schema(min_length = 1, max_length = 200, example = "Morning digest")]
    name: String,
    /// The `cron` crate's syntax (contract section 8): 6 or 7 fields, seconds first, day-of-week
    /// 1 = Sunday; it must fire at least once from now on.
    #[schema(example = "0 0 9 * * *")]
    cron: String,
    /// IANA zone the cron is read in (default: the workspace's, else TASKFLEET_TIMEZONE).
    #[serde(default)]
    #[schema(example = "Australia/Sydney")]
    timezone: Option<String>,
    /// The task each tick creates: the POST /api/tasks body without `workspace_id`
    /// (`task_description`, `task_type`, `assigned_agent`, `priority`, `input_data`,
    /// `max_retries`, `requires_approval`), by the same rules; `depends_on` and `deadline` are refused (fixed ids and
    /// instants cannot recur).
    #[schema(value_type = TemplateTask, example = json!({"task_description": "Send the morning digest",
        "task_type": "email", "assigned_agent": "email-sender"}))]
    task: Value,
    /// Default true; a disabled template creates no tasks.
    #[serde(default)]
    enabled: Option<bool>,
    /// A missed tick (the fleet was down) runs late only while younger than this, and only the
    /// latest missed one: 60 to 2678400 (31 days), default 3600.
    #[serde(default)]
    #[schema(minimum = 60, maximum = 2678400)]
    catch_up_secs: Option<i32>,
}

/// The OpenAPI schema of a template's `task`: the POST /api/tasks body's schema without
/// `workspace_id`, `depends_on` and `deadline`, derived from it so the two cannot drift. It is
/// named `TemplateTaskBody` because a generated client names the inline model of the answer's
/// `Template.task` `TemplateTask`, and two models of one name stop openapi-python-client. (The
/// field itself stays a JSON value, checked by `tasks::validate_embedded` so that every refusal
/// is a 422 naming `task.<field>`.)
pub struct TemplateTask;

impl utoipa::PartialSchema for TemplateTask {
    fn schema() -> RefOr<Schema> {
        let mut schema = <tasks::CreateTask as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(task)) = &mut schema {
            for field in ["workspace_id", "depends_on", "deadline"] {
                task.properties.remove(field);
                task.required.retain(|f| f != field);
            }
            task.description = Some(
                "The task each tick creates: the POST /api/tasks body without `workspace_id` \
                 (the template's), by the same rules. `depends_on` (but for `[]`) and `deadline` \
                 are refused: fixed task ids and instants cannot recur."
                    .into(),
            );
        }
        schema
    }
}

impl ToSchema for TemplateTask {
    fn name() -> std::borrow::Cow<'static, str> {
        "TemplateTaskBody".into()
    }
}

/// One template, as `POST /api/templates` and `DELETE /api/templates/{id}` answer it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateEnvelope {
    success: bool,
    template: Template,
}

/// A workspace's templates, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateList {
    success: bool,
    templates: Vec<Template>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A workspace the token is a member of.
    workspace_id: Uuid,
}

/// Creates a recurring task template.
#[utoipa::path(post, path = "/api/templates", operation_id = "create_template", tag = "templates",
    request_body = CreateTemplate,
    responses(
        (status = 201, description = "Created; its first tick is the first one after now.", body = TemplateEnvelope),
        (status = 400, description = "TASK_010: invalid request (malformed JSON, a body that is not an object, a field of the wrong type, a missing, unknown or duplicate field, a NUL character).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_013: workspace not found, or the token is not a member of it.", body = ErrorEnvelope),
        (status = 413, description = "TASK_010: body over 1 MiB.", body = ErrorEnvelope),
        (status = 422, description = "TASK_010: a field breaks its rule; the message starts with the field (`name`, `cron`, `timezone`, `catch_up_secs`, or `task.<field>` for the task body, checked as POST /api/tasks checks it). TASK_007: `task.task_type` is not one of the nine.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    StrictJson(body): StrictJson<CreateTemplate>,
) -> ApiResult<(StatusCode, Json<TemplateEnvelope>)> {
    let now = s.pass.clock.now();
    let mut tx = tenancy::begin(&s, &caller).await?;
    let ws = tenancy::workspace(&mut tx, &caller, body.workspace_id).await?;
    let zone = ws.timezone.as_deref().unwrap_or(&s.default_zone);
    let new = prepare(body, zone, now)?;
    let template = templates::insert(&mut tx, &new).await?;
    store::audit(&mut tx, created_entry(&template, &caller.actor())).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(TemplateEnvelope {
            success: true,
            template,
        }),
    ))
}

/// Lists a workspace's templates.
#[utoipa::path(get, path = "/api/templates", operation_id = "list_templates", tag = "templates",
    params(ListQuery),
    responses(
        (status = 200, description = "The workspace's templates, oldest first.", body = TemplateList),
        (status = 400, description = "TASK_010: invalid query (workspace_id missing, a bad UUID, an unknown parameter, a NUL character).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_013: workspace not found, or the token is not a member of it.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<TemplateList>> {
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::workspace(&mut tx, &caller, q.workspace_id).await?;
    let list = templates::list(&mut tx, q.workspace_id).await?;
    tx.commit().await?;
    Ok(Json(TemplateList {
        success: true,
        templates: list,
    }))
}

/// Deletes a template; the tasks it created stay (with their `template_id`).
#[utoipa::path(delete, path = "/api/templates/{id}", operation_id = "delete_template", tag = "templates",
    params(("id" = Uuid, Path, description = "The template's id.")),
    responses(
        (status = 200, description = "Deleted; the body is the template as it was.", body = TemplateEnvelope),
        (status = 400, description = "TASK_010: the id is not a UUID.", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_016: template not found, or not in a workspace of the token.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn delete(
    State(s): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<TemplateEnvelope>> {
    let mut tx = tenancy::begin(&s, &caller).await?;
    let template = templates::delete(&mut tx, id, &caller.workspaces)
        .await?
        .ok_or_else(|| ApiError::new(Code::TemplateNotFound, format!("template {id} not found")))?;
    store::audit(
        &mut tx,
        store::AuditEntry {
            workspace_id: template.workspace_id,
            action: Action::TemplateDeleted,
            resource: audit::TEMPLATES,
            resource_id: template.id,
            actor: &caller.actor(),
            status: None,
            details: json!({"name": template.name}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(TemplateEnvelope {
        success: true,
        template,
    }))
}

/// Checks a template body of workspace `body.workspace_id` (whose zone, or the fleet's default,
/// is `default_zone`) at `now`: every refusal is a 422 whose message starts with the field.
/// `taskfleet templates create` runs the same checks.
pub(crate) fn prepare(
    body: CreateTemplate,
    default_zone: &str,
    now: DateTime<Utc>,
) -> ApiResult<NewTemplate> {
    let name = model::check_name(&body.name).map_err(ApiError::unprocessable)?;
    let timezone = body.timezone.as_deref().unwrap_or(default_zone);
    let zone = model::check_zone(timezone).map_err(ApiError::unprocessable)?;
    model::check_cron(&body.cron, zone, now).map_err(ApiError::unprocessable)?;
    let catch_up_secs =
        model::check_catch_up(body.catch_up_secs).map_err(ApiError::unprocessable)?;
    let task = tasks::validate_embedded(body.task, body.workspace_id, now)?;
    // Fixed task ids and instants cannot recur: every tick's task would share them.
    let fixed = [
        ("depends_on", !task.depends_on.is_empty()),
        ("deadline", task.deadline.is_some()),
    ];
    if let Some((field, _)) = fixed.iter().find(|(_, given)| *given) {
        return Err(ApiError::unprocessable(format!(
            "task.{field}: not allowed in a template: every tick's task would share it"
        )));
    }
    Ok(NewTemplate {
        id: Uuid::now_v7(),
        workspace_id: body.workspace_id,
        name,
        cron: body.cron.trim().to_owned(),
        timezone: zone.name().to_owned(),
        // What sql/template_instantiate.sql reads back, defaults filled in.
        task: json!({
            "task_description": task.task_description,
            "task_type": task.task_type,
            "assigned_agent": task.assigned_agent,
            "priority": task.priority,
            "input_data": task.input_data,
            "max_retries": task.max_retries,
            "requires_approval": task.requires_approval,
        }),
        enabled: body.enabled.unwrap_or(true),
        catch_up_secs,
        created_at: now,
    })
}

/// The `template.created` audit row.
pub(crate) fn created_entry<'a>(t: &Template, actor: &'a str) -> store::AuditEntry<'a> {
    store::AuditEntry {
        workspace_id: t.workspace_id,
        action: Action::TemplateCreated,
        resource: audit::TEMPLATES,
        resource_id: t.id,
        actor,
        status: None,
        details: json!({"name": t.name, "cron": t.cron, "timezone": t.timezone,
                        "enabled": t.enabled}),
    }
}
