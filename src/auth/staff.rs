//! Staff user management (admin only): create, rename, change role, disable,
//! reset password (which signs the user out everywhere). The pages and the
//! API both go through these functions; every change is audited.

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::access::{Permission, require};
use super::model::{NewPassword, NewUser};
use super::repo::{self, StaffUser};
use crate::audit::{self, actor::Actor};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::ids::UserId;
use crate::roles::Role;
use crate::state::AppState;

/// Every staff user, enabled ones first.
pub async fn list(state: &AppState) -> AppResult<Vec<StaffUser>> {
    state
        .db
        .read(|c| repo::list_staff(c).map_err(AppError::from))
        .await
}

/// Creates a staff user; 409 `email_taken` when the address is in use.
pub async fn create(state: &AppState, by: &Actor, new: NewUser) -> AppResult<StaffUser> {
    require(by.role, Permission::ManageUsers)?;
    let hash = super::password::hash_blocking(new.password.expose().to_owned()).await?;
    let now = state.clock.now();
    let by = by.clone();
    state
        .db
        .write(move |tx| -> AppResult<StaffUser> {
            let id = match repo::insert_user(tx, &new, &hash, now) {
                Ok(id) => id,
                Err(e) if crate::db::is_unique_violation(&e) => {
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
                &by,
                audit::Change {
                    action: "user.create",
                    entity_type: "user",
                    entity_id: id.as_str(),
                    before: json!({}),
                    after,
                },
                now,
            )?;
            repo::find_staff(tx, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// A change to a user; absent parts stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UserPatch {
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    /// A new password (at least 10 characters); signs the user out everywhere.
    #[schema(min_length = 10)]
    pub password: Option<String>,
}

pub async fn update(
    state: &AppState,
    by: &Actor,
    id: &UserId,
    patch: UserPatch,
) -> AppResult<StaffUser> {
    require(by.role, Permission::ManageUsers)?;
    let mut errors = FieldErrors::new();
    let name = patch
        .name
        .as_deref()
        .map(|n| crate::text::name(&mut errors, "name", n, "Enter a name."));
    let password = match patch.password.as_deref().map(NewPassword::parse) {
        Some(Err(e)) => {
            errors.add("password", e);
            None
        }
        Some(Ok(p)) => Some(p),
        None => None,
    };
    errors.into_result(())?;
    // Nobody can lock themselves out of the admin.
    if by.user_id.as_ref() == Some(id)
        && (patch.disabled == Some(true) || patch.role.is_some_and(|r| r != Role::Admin))
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
    let (by, id) = (by.clone(), id.clone());
    state
        .db
        .write(move |tx| -> AppResult<StaffUser> {
            let before = repo::find_staff(tx, &id)?.ok_or(AppError::NotFound)?;
            let (mut was, mut is) = (serde_json::Map::new(), serde_json::Map::new());
            if let Some(name) = name.filter(|n| *n != before.name) {
                repo::set_name(tx, &id, &name, now)?;
                was.insert("name".into(), json!(before.name));
                is.insert("name".into(), json!(name));
            }
            if let Some(role) = patch.role.filter(|r| *r != before.role) {
                repo::set_role(tx, &id, role, now)?;
                was.insert("role".into(), json!(before.role.as_str()));
                is.insert("role".into(), json!(role.as_str()));
            }
            if let Some(disabled) = patch.disabled.filter(|d| *d != before.disabled) {
                repo::set_disabled(tx, &id, disabled, now)?;
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
                    &by,
                    audit::Change {
                        action: "user.update",
                        entity_type: "user",
                        entity_id: id.as_str(),
                        before: was.into(),
                        after: is.into(),
                    },
                    now,
                )?;
            }
            repo::find_staff(tx, &id)?.ok_or(AppError::NotFound)
        })
        .await
}
