//! Handlers of staff user management: `/admin/users` and `/v1/admin/users`
//! (the rules live in `staff`).

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use maud::{Markup, html};
use serde::Deserialize;
use utoipa::ToSchema;

use super::access::{Permission, require};
use super::model::NewUser;
use super::repo::StaffUser;
use super::session::{ApiStaff, Staff, verify_form};
use super::staff::{self, UserPatch};
use crate::error::{AppError, AppResult, ErrorBody, FieldErrors};
use crate::ids::UserId;
use crate::roles::Role;
use crate::state::AppState;
use crate::web::extract::{Form, Json, Path, Query};
use crate::web::layout::{self, field, input};

/// Staff users.
#[utoipa::path(get, path = "/v1/admin/users", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<StaffUser>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    by: ApiStaff,
) -> AppResult<axum::Json<Vec<StaffUser>>> {
    require(by.user.role, Permission::ManageUsers)?;
    Ok(axum::Json(staff::list(&state).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct UserInput {
    #[schema(format = Email, max_length = 254)]
    email: String,
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    role: Role,
    /// Told to the user in person; they can change it later.
    #[schema(min_length = 10, max_length = 256)]
    password: String,
}

/// Create a staff user.
#[utoipa::path(post, path = "/v1/admin/users", tag = "admin", security(("bearer" = [])), request_body = UserInput,
    responses((status = 201, body = StaffUser), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    by: ApiStaff,
    Json(input): Json<UserInput>,
) -> AppResult<(StatusCode, axum::Json<StaffUser>)> {
    require(by.user.role, Permission::ManageUsers)?;
    let new = NewUser::parse(&input.email, &input.name, input.role, &input.password)
        .map_err(AppError::Validation)?;
    let user = staff::create(&state, &by.actor(), new).await?;
    Ok((StatusCode::CREATED, axum::Json(user)))
}

/// Change a staff user's name or role, disable them, or reset their password.
#[utoipa::path(patch, path = "/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])), params(("id" = UserId, Path, description = "The user's id")),
    request_body = UserPatch,
    responses((status = 200, body = StaffUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_update(
    State(state): State<AppState>,
    by: ApiStaff,
    Path(id): Path<UserId>,
    Json(patch): Json<UserPatch>,
) -> AppResult<axum::Json<StaffUser>> {
    Ok(axum::Json(
        staff::update(&state, &by.actor(), &id, patch).await?,
    ))
}

#[derive(Deserialize, Default)]
pub struct UsersQuery {
    msg: Option<String>,
}

/// `GET /admin/users`
pub async fn view_users_get(
    State(state): State<AppState>,
    by: Staff,
    Query(q): Query<UsersQuery>,
) -> AppResult<Markup> {
    require(by.user.role, Permission::ManageUsers)?;
    let notice = match q.msg.as_deref() {
        Some("created") => Some("User created."),
        Some("updated") => Some("Saved."),
        _ => None,
    };
    users_page(
        &state,
        &by,
        notice,
        &NewUserForm::default(),
        &FieldErrors::new(),
    )
    .await
}

async fn users_page(
    state: &AppState,
    by: &Staff,
    notice: Option<&str>,
    form: &NewUserForm,
    errors: &FieldErrors,
) -> AppResult<Markup> {
    let users = staff::list(state).await?;
    let err = |f| errors.get(f);
    let csrf = &by.csrf;
    let body = html! {
        @if let Some(n) = notice { p.alert.alert-success role="status" { (n) } }
        @if let Some(e) = err("form") { p.alert.alert-error role="alert" { (e) } }
        div.table-wrap {
            table.data {
                thead { tr { th { "Name" } th { "Email" } th { "Role" } th { "Status" } th { "Reset password" } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.name) }
                            td { (u.email) }
                            td {
                                form.actions method="post" action={ "/admin/users/" (u.id) } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="action" value="role";
                                    select name="role" aria-label="Role" {
                                        @for r in [Role::Admin, Role::Manager, Role::Technician] {
                                            option value=(r.as_str()) selected[r == u.role] { (r.as_str()) }
                                        }
                                    }
                                    button.btn.btn-small.btn-secondary type="submit" { "Set role" }
                                }
                            }
                            td {
                                form method="post" action={ "/admin/users/" (u.id) } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="action" value=(if u.disabled { "enable" } else { "disable" });
                                    @if u.disabled { span.badge.badge-cancelled { "disabled" } " " }
                                    button.btn.btn-small.btn-secondary.btn-danger[!u.disabled] type="submit" { (if u.disabled { "Enable" } else { "Disable" }) }
                                }
                            }
                            td {
                                form.actions method="post" action={ "/admin/users/" (u.id) } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="action" value="password";
                                    input type="password" name="password" autocomplete="new-password" placeholder="New password" aria-label={ "New password for " (u.name) };
                                    button.btn.btn-small.btn-secondary type="submit" { "Reset" }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.panel {
            h2 { "Add a staff member" }
            form.form method="post" action="/admin/users" {
                input type="hidden" name="csrf" value=(csrf);
                (field("Name", "name", err("name"), "", input("text", "name", &form.name, err("name").is_some(), "off")))
                (field("Email", "email", err("email"), "", input("email", "email", &form.email, err("email").is_some(), "off")))
                (field("Role", "role", None, "Technicians see only today's jobs and the workshop steps.", html! {
                    select #role name="role" {
                        @for r in [Role::Technician, Role::Manager, Role::Admin] {
                            option value=(r.as_str()) selected[r.as_str() == form.role] { (r.as_str()) }
                        }
                    }
                }))
                (field("Password", "password", err("password"), "At least 10 characters. Tell it to them in person.",
                    input("password", "password", "", err("password").is_some(), "new-password")))
                button.btn.btn-primary type="submit" { "Add user" }
            }
        }
    };
    let user = by.view();
    Ok(layout::admin(
        &state.config,
        &user,
        "Staff users",
        "/admin/users",
        body,
    ))
}

#[derive(Deserialize, Default)]
pub struct NewUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// `POST /admin/users`: add a user; errors next to the fields.
pub async fn view_users_post(
    State(state): State<AppState>,
    by: Staff,
    headers: HeaderMap,
    Form(form): Form<NewUserForm>,
) -> AppResult<Response> {
    verify_form(&headers, &by.csrf, &form.csrf)?;
    require(by.user.role, Permission::ManageUsers)?;
    let role = Role::parse(&form.role).unwrap_or(Role::Technician);
    let result = match NewUser::parse(&form.email, &form.name, role, &form.password) {
        Ok(new) => staff::create(&state, &by.actor(), new).await.map(|_| ()),
        Err(errors) => Err(AppError::Validation(errors)),
    };
    let errors = match result {
        Ok(()) => return Ok(Redirect::to("/admin/users?msg=created").into_response()),
        Err(AppError::Validation(errors)) => errors,
        Err(AppError::Conflict { message, .. }) => {
            let mut errors = FieldErrors::new();
            errors.add("email", message);
            errors
        }
        Err(e) => return Err(e),
    };
    let page = users_page(&state, &by, None, &form, &errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Deserialize)]
pub struct UserActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    role: Option<String>,
    password: Option<String>,
}

/// `POST /admin/users/{id}`: set role, disable, enable or reset password.
pub async fn view_user_post(
    State(state): State<AppState>,
    by: Staff,
    headers: HeaderMap,
    Path(id): Path<UserId>,
    Form(form): Form<UserActionForm>,
) -> AppResult<Response> {
    verify_form(&headers, &by.csrf, &form.csrf)?;
    let patch = match form.action.as_str() {
        "role" => UserPatch {
            role: form.role.as_deref().and_then(Role::parse),
            ..Default::default()
        },
        "disable" => UserPatch {
            disabled: Some(true),
            ..Default::default()
        },
        "enable" => UserPatch {
            disabled: Some(false),
            ..Default::default()
        },
        "password" => UserPatch {
            password: form.password,
            ..Default::default()
        },
        _ => return Err(AppError::bad_request("Unknown action.")),
    };
    match staff::update(&state, &by.actor(), &id, patch).await {
        Ok(_) => Ok(Redirect::to("/admin/users?msg=updated").into_response()),
        Err(AppError::Validation(mut errors)) => {
            let why = errors
                .get("password")
                .unwrap_or("Check the values.")
                .to_owned();
            errors.add("form", format!("Not saved: {why}"));
            let page = users_page(&state, &by, None, &NewUserForm::default(), &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Conflict { message, .. }) => {
            let mut errors = FieldErrors::new();
            errors.add("form", message);
            let page = users_page(&state, &by, None, &NewUserForm::default(), &errors).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e),
    }
}
