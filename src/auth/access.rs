//! Who may reach what, in one place: the network allowlist for the staff
//! surface (`[security] admin_allow`) and the role permissions of SPEC §5.

use std::net::IpAddr;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::error::AppError;
use crate::roles::Role;
use crate::state::AppState;
use crate::web::client::client_ip;

/// Paths only reachable from `admin_allow` networks.
pub fn is_staff_surface(path: &str) -> bool {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    under("/admin") || under("/v1/admin") || under("/v1/auth") || path == "/metrics"
}

/// Middleware: 403 for the staff surface from outside `admin_allow`.
pub async fn admin_allowlist(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_staff_surface(req.uri().path()) {
        let (parts, body) = req.into_parts();
        let ip = client_ip(&parts, state.config.server.trust_proxy);
        if !allowed(&state.config.security.admin_allow, ip) {
            tracing::warn!(%ip, path = parts.uri.path(), "staff surface refused: address not in admin_allow");
            return AppError::forbidden(
                "address_not_allowed",
                "The staff pages are only available from the workshop network.",
            )
            .into_response();
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    next.run(req).await
}

pub fn allowed(nets: &[ipnet::IpNet], ip: IpAddr) -> bool {
    // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
    let ip = ip.to_canonical();
    nets.iter().any(|n| n.contains(&ip))
}

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Today's jobs (`/admin/today`).
    ViewToday,
    /// Check-in, start and complete.
    WorkshopSteps,
    /// Everything else about bookings: lists, confirm, reschedule, cancel, notes, export.
    ManageBookings,
    ManageVehicles,
    ManageLeads,
    ViewReports,
    ViewAudit,
    /// The notifications log, resending, test messages.
    ManageNotifications,
    ManageUsers,
    ManageSettings,
}

impl Role {
    /// The role matrix of SPEC §5: admin everything; manager all but users
    /// and settings; technician today's jobs and the workshop steps.
    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Manager => !matches!(p, ManageUsers | ManageSettings),
            Role::Technician => matches!(p, ViewToday | WorkshopSteps),
        }
    }

    /// Where this role lands after sign-in.
    pub fn home(self) -> &'static str {
        match self {
            Role::Technician => "/admin/today",
            _ => "/admin",
        }
    }
}

/// The admin sections in the left nav: (path, label, who sees it).
const ADMIN_NAV: &[(&str, &str, Permission)] = &[
    ("/admin", "Dashboard", Permission::ManageBookings),
    ("/admin/today", "Today", Permission::ViewToday),
    ("/admin/bookings", "Bookings", Permission::ManageBookings),
    ("/admin/vehicles", "Vehicles", Permission::ManageVehicles),
    ("/admin/leads", "Leads", Permission::ManageLeads),
    ("/admin/reports", "Reports", Permission::ViewReports),
    ("/admin/users", "Users", Permission::ManageUsers),
    ("/admin/audit", "Audit log", Permission::ViewAudit),
    (
        "/admin/notifications",
        "Notifications",
        Permission::ManageNotifications,
    ),
    ("/admin/settings", "Settings", Permission::ManageSettings),
];

/// The admin sections `role` may open, in nav order: (path, label).
pub fn nav(role: Role) -> Vec<(&'static str, &'static str)> {
    ADMIN_NAV
        .iter()
        .filter(|(_, _, p)| role.can(*p))
        .map(|(path, label, _)| (*path, *label))
        .collect()
}

/// `Ok` when `role` has `p`; the 403 otherwise.
pub fn require(role: Role, p: Permission) -> Result<(), AppError> {
    if role.can(p) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "forbidden",
            "Your role does not allow this. Ask an admin if you need it.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_surface_paths() {
        for p in [
            "/admin",
            "/admin/login",
            "/v1/admin/bookings",
            "/v1/auth/login",
            "/metrics",
        ] {
            assert!(is_staff_surface(p), "{p}");
        }
        for p in [
            "/",
            "/administrator",
            "/v1/bookings",
            "/v1/authors",
            "/metrics2",
        ] {
            assert!(!is_staff_surface(p), "{p}");
        }
    }

    #[test]
    fn allowlist_matches_mapped_ipv4() {
        let nets: Vec<ipnet::IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        assert!(allowed(&nets, "::ffff:127.0.0.1".parse().unwrap()));
        assert!(!allowed(&nets, "10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn role_matrix() {
        use Permission::*;
        assert!(Role::Manager.can(ManageBookings) && !Role::Manager.can(ManageUsers));
        assert!(Role::Technician.can(WorkshopSteps) && !Role::Technician.can(ManageBookings));
        assert!(Role::Admin.can(ManageSettings));
    }
}
