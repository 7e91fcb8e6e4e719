//! The dashboard page.

use maud::{Markup, html};

use super::Figures;
use crate::config::Config;
use crate::web::layout::{self, AdminUser, local_time};

pub(super) fn dashboard(config: &Config, user: &AdminUser<'_>, f: &Figures) -> Markup {
    let today_total: i64 = f.bookings.today_by_status.iter().map(|(_, n)| n).sum();
    layout::admin(
        config,
        user,
        "Dashboard",
        "/admin",
        html! {
            div.stats {
                div.stat { span.stat-value { (today_total) } span.stat-label { "Bookings today" } }
                div.stat { span.stat-value { (f.bookings.awaiting_confirmation) } span.stat-label { "Awaiting confirmation" } }
                div.stat { span.stat-value { (f.bookings.week_bookings) } span.stat-label { "Bookings this week" } }
                a.stat href="/admin/leads?status=new" { span.stat-value { (f.new_leads) } span.stat-label { "New leads" } }
                a.stat href="/admin/vehicles" { span.stat-value { (f.vehicles.on_sale) } span.stat-label { "Vehicles on the website" } @if f.vehicles.reserved > 0 { span.stat-note { (f.vehicles.reserved) " of them reserved" } } }
            }
            section.panel {
                h2 { "Today's bookings by status" }
                @if f.bookings.today_by_status.is_empty() {
                    p.empty { "No bookings for today yet." }
                } @else {
                    div.table-wrap {
                        table.data {
                            thead { tr { th { "Status" } th { "Bookings" } } }
                            tbody {
                                @for (status, n) in &f.bookings.today_by_status {
                                    tr {
                                        td { span class={ "badge badge-" (status) } { (status.replace('_', " ")) } }
                                        td { (n) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section.panel {
                h2 { "Leads waiting for an answer" }
                @if f.pending_leads.is_empty() {
                    p.empty { "No pending leads. Well done." }
                } @else {
                    ul.pending-leads {
                        @for l in &f.pending_leads {
                            li {
                                a href={ "/admin/leads/" (l.id) } { (l.name) }
                                " · " (l.kind.label())
                                @if let Some(t) = &l.vehicle_title { " · " (t) }
                                " · " span.muted { (local_time(config, &l.created_at)) }
                            }
                        }
                    }
                    a href="/admin/leads?status=new" { "All new leads" }
                }
            }
        },
    )
}
