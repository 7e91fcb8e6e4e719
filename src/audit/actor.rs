//! Who acts in an audited change. A type of its own so that the sign-in
//! code (which builds it) does not depend on the audit log's pages.

use crate::ids::UserId;
use crate::roles::Role;

/// Who acts: a staff member from an address, or the system itself (the
/// scheduled jobs, the CLI). Owned, so it can move into a write job.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `None` for the system.
    pub user_id: Option<UserId>,
    /// The staff member's e-mail at the time: two staff can share a name.
    pub email: String,
    pub name: String,
    /// What the actor may do (the system may do everything).
    pub role: Role,
    pub ip: Option<String>,
}

impl Actor {
    /// The system acting on its own (`what` names it, e.g. "retention job").
    pub fn system(what: &str) -> Actor {
        Actor {
            user_id: None,
            email: String::new(),
            name: what.to_owned(),
            role: Role::Admin,
            ip: None,
        }
    }
}
