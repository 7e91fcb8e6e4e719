//! Staff user management (admin only): create, change role, disable, reset
//! password — which signs the user out everywhere. Pages and API share the
//! service functions; every change is audited.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use maud::{Markup, html};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::access::{Permission, require};
use super::model::{NewPassword, NewUser, Role};
use super::repo::{self, User};
use super::session::{ApiStaff, Staff, verify_form};
use crate::audit;
use crate::db::ts;
use crate::error::{AppError, AppResult, ErrorBody, FieldErrors};
use crate::state::AppState;
use crate::web::client::ClientIp;
use crate::web::extract::{Form, Json, Path, Query};
use crate::web::layout::{self, field, input};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffUser {
    id: String,
    email: String,
    name: String,
    role: Role,
    disabled: bool,
    last_login_at: Option<String>,
}

fn list_users(c: &rusqlite::Connection) -> rusqlite::Result<Vec<StaffUser>> {
    c.prepare_cached("SELECT id, email, name, role, disabled, last_login_at FROM users ORDER BY disabled, name COLLATE NOCASE")?
        .query_map([], user_row)?
        .collect()
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StaffUser> {
    let role: String = r.get(3)?;
    Ok(StaffUser {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Technician),
        disabled: r.get(4)?,
        last_login_at: r.get(5)?,
    })
}

fn find(c: &rusqlite::Connection, id: &str) -> rusqlite::Result<Option<StaffUser>> {
    c.prepare_cached(
        "SELECT id, email, name, role, disabled, last_login_at FROM users WHERE id = ?1",
    )?
    .query_row([id], user_row)
    .optional()
}

fn actor<'a>(user: &'a User, ip: &'a str) -> audit::Actor<'a> {
    audit::Actor {
        user_id: &user.id,
        label: &user.name,
        ip: Some(ip),
    }
}

/// Creates a staff user; 409 `email_taken` when the address is in use.
pub async fn create(state: &AppState, by: &User, ip: &str, new: NewUser) -> AppResult<StaffUser> {
    require(by.role, Permission::ManageUsers)?;
    let hash = super::password::hash_blocking(new.password.expose().to_owned()).await?;
    let now = state.clock.now();
    let (by, ip) = (by.clone(), ip.to_owned());
    state
        .db
        .write(move |tx| -> AppResult<StaffUser> {
            let id = match repo::insert_user(tx, &new, &hash, now) {
                Ok(id) => id,
                Err(e) if repo::is_unique_violation(&e) => {
                    return Err(AppError::Conflict {
                        code: "email_taken",
                        message: "A staff user with this email already exists.".into(),
                        details: json!({}),
                    });
                }
                Err(e) => return Err(e.into()),
            };
            let after =
                json!({ "email": new.email.as_str(), "name": new.name, "role": new.role.as_str() });
            audit::record(
                tx,
                &actor(&by, &ip),
                audit::Change {
                    action: "user.create",
                    entity_type: "user",
                    entity_id: &id,
                    before: json!({}),
                    after,
                },
                now,
            )?;
            find(tx, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// A change to a user; absent parts stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UserPatch {
    name: Option<String>,
    role: Option<Role>,
    disabled: Option<bool>,
    /// A new password; signs the user out everywhere.
    password: Option<String>,
}

pub async fn update(
    state: &AppState,
    by: &User,
    ip: &str,
    id: &str,
    patch: UserPatch,
) -> AppResult<StaffUser> {
    require(by.role, Permission::ManageUsers)?;
    let mut errors = FieldErrors::new();
    if patch
        .name
        .as_deref()
        .is_some_and(|n| n.trim().is_empty() || n.chars().count() > 100)
    {
        errors.add("name", "Enter a name of at most 100 characters.");
    }
    let password = match patch.password.as_deref().map(NewPassword::parse) {
        Some(Err(e)) => {
            errors.add("password", e);
            None
        }
        Some(Ok(p)) => Some(p),
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    // Nobody can lock themselves out of the admin.
    if id == by.id && (patch.disabled == Some(true) || patch.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(AppError::Conflict {
            code: "cannot_change_self",
            message: "You cannot disable yourself or give up your own admin role.".into(),
            details: json!({}),
        });
    }
    let hash = match password {
        Some(p) => Some(super::password::hash_blocking(p.expose().to_owned()).await?),
        None => None,
    };
    let now = state.clock.now();
    let (by, ip, id) = (by.clone(), ip.to_owned(), id.to_owned());
    state
        .db
        .write(move |tx| -> AppResult<StaffUser> {
            let before = find(tx, &id)?.ok_or(AppError::NotFound)?;
            let (mut was, mut is) = (serde_json::Map::new(), serde_json::Map::new());
            if let Some(name) = patch
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| *n != before.name)
            {
                tx.execute(
                    "UPDATE users SET name = ?1, updated_at = ?2 WHERE id = ?3",
                    params![name, ts(now), id],
                )?;
                was.insert("name".into(), json!(before.name));
                is.insert("name".into(), json!(name));
            }
            if let Some(role) = patch.role.filter(|r| *r != before.role) {
                tx.execute(
                    "UPDATE users SET role = ?1, updated_at = ?2 WHERE id = ?3",
                    params![role.as_str(), ts(now), id],
                )?;
                was.insert("role".into(), json!(before.role.as_str()));
                is.insert("role".into(), json!(role.as_str()));
            }
            if let Some(disabled) = patch.disabled.filter(|d| *d != before.disabled) {
                tx.execute(
                    "UPDATE users SET disabled = ?1, updated_at = ?2 WHERE id = ?3",
                    params![disabled, ts(now), id],
                )?;
                if disabled {
                    tx.execute("DELETE FROM sessions WHERE user_id = ?1", [&id])?;
                }
                was.insert("disabled".into(), json!(before.disabled));
                is.insert("disabled".into(), json!(disabled));
            }
            if let Some(hash) = &hash {
                repo::set_password(tx, &before.email, hash, now)?;
                was.insert("password".into(), json!("(old)"));
                is.insert("password".into(), json!("(reset; sessions revoked)"));
            }
            if !is.is_empty() {
                audit::record(
                    tx,
                    &actor(&by, &ip),
                    audit::Change {
                        action: "user.update",
                        entity_type: "user",
                        entity_id: &id,
                        before: was.into(),
                        after: is.into(),
                    },
                    now,
                )?;
            }
            find(tx, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// Staff users.
#[utoipa::path(get, path = "/v1/admin/users", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<StaffUser>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    staff: ApiStaff,
) -> AppResult<axum::Json<Vec<StaffUser>>> {
    require(staff.user.role, Permission::ManageUsers)?;
    Ok(axum::Json(
        state
            .db
            .read(|c| list_users(c).map_err(AppError::from))
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct UserInput {
    email: String,
    name: String,
    role: Role,
    password: String,
}

/// Create a staff user.
#[utoipa::path(post, path = "/v1/admin/users", tag = "admin", security(("bearer" = [])), request_body = UserInput,
    responses((status = 201, body = StaffUser), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    staff: ApiStaff,
    ClientIp(ip): ClientIp,
    Json(input): Json<UserInput>,
) -> AppResult<(StatusCode, axum::Json<StaffUser>)> {
    require(staff.user.role, Permission::ManageUsers)?;
    let new = NewUser::parse(&input.email, &input.name, input.role, &input.password)
        .map_err(AppError::Validation)?;
    let user = create(&state, &staff.user, &ip.to_string(), new).await?;
    Ok((StatusCode::CREATED, axum::Json(user)))
}

/// Change a staff user's name or role, disable them, or reset their password.
#[utoipa::path(patch, path = "/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UserPatch,
    responses((status = 200, body = StaffUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn api_update(
    State(state): State<AppState>,
    staff: ApiStaff,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Json(patch): Json<UserPatch>,
) -> AppResult<axum::Json<StaffUser>> {
    Ok(axum::Json(
        update(&state, &staff.user, &ip.to_string(), &id, patch).await?,
    ))
}

#[derive(Deserialize, Default)]
pub struct UsersQuery {
    msg: Option<String>,
}

/// `GET /admin/users`
pub async fn view_users_get(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<UsersQuery>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageUsers)?;
    let notice = match q.msg.as_deref() {
        Some("created") => Some("User created."),
        Some("updated") => Some("Saved."),
        _ => None,
    };
    users_page(
        &state,
        &staff,
        notice,
        &NewUserForm::default(),
        &FieldErrors::new(),
    )
    .await
}

async fn users_page(
    state: &AppState,
    staff: &Staff,
    notice: Option<&str>,
    form: &NewUserForm,
    errors: &FieldErrors,
) -> AppResult<Markup> {
    let users = state
        .db
        .read(|c| list_users(c).map_err(AppError::from))
        .await?;
    let err = |f| errors.get(f);
    let csrf = &staff.csrf;
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
    let user = staff.view();
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
    staff: Staff,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Form(form): Form<NewUserForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    require(staff.user.role, Permission::ManageUsers)?;
    let role = Role::parse(&form.role).unwrap_or(Role::Technician);
    let result = match NewUser::parse(&form.email, &form.name, role, &form.password) {
        Ok(new) => create(&state, &staff.user, &ip.to_string(), new)
            .await
            .map(|_| ()),
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
    let page = users_page(&state, &staff, None, &form, &errors).await?;
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
    staff: Staff,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<UserActionForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
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
    match update(&state, &staff.user, &ip.to_string(), &id, patch).await {
        Ok(_) => Ok(Redirect::to("/admin/users?msg=updated").into_response()),
        Err(AppError::Validation(mut errors)) => {
            let why = errors
                .get("password")
                .unwrap_or("Check the values.")
                .to_owned();
            errors.add("form", format!("Not saved: {why}"));
            let page = users_page(&state, &staff, None, &NewUserForm::default(), &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Conflict { message, .. }) => {
            let mut errors = FieldErrors::new();
            errors.add("form", message);
            let page = users_page(&state, &staff, None, &NewUserForm::default(), &errors).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e),
    }
}
