//! Paging, one rule for every list: `page` counts from 1 and `per_page` is
//! 1–100 (SPEC §5). The JSON lists answer with one envelope, `Page<T>`, and
//! the pages share one pager.

use maud::{Markup, html};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::FieldErrors;

/// The largest `per_page` any list accepts.
pub const MAX_PER_PAGE: u32 = 100;

/// Which slice of a list to show.
/// The default is the first page of 50, the staff lists' page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u32,
    pub per_page: u32,
}

impl Default for Paging {
    fn default() -> Paging {
        Paging::first(50)
    }
}

impl Paging {
    /// Parses the two query parameters. `per_page` outside 1–100 and a `page`
    /// of 0 are reported in `errors` (the document says `minimum: 1`).
    pub fn parse(
        page: Option<u32>,
        per_page: Option<u32>,
        default_per_page: u32,
        errors: &mut FieldErrors,
    ) -> Paging {
        let per_page = per_page.unwrap_or(default_per_page);
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            errors.add("per_page", format!("Between 1 and {MAX_PER_PAGE}."));
        }
        if page == Some(0) {
            errors.add("page", "Pages count from 1.");
        }
        Paging {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.clamp(1, MAX_PER_PAGE),
        }
    }

    /// The first `per_page` items.
    pub fn first(per_page: u32) -> Paging {
        Paging { page: 1, per_page }
    }

    /// The SQL `OFFSET` of this page.
    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    /// The SQL `LIMIT` of this page.
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    /// How many pages `total` items fill (at least 1).
    pub fn pages(&self, total: i64) -> i64 {
        ((total + self.limit() - 1) / self.limit()).max(1)
    }
}

/// One page of a list, as every list endpoint returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    /// Items matching the filters, on every page.
    pub total: i64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, paging: Paging, total: i64) -> Page<T> {
        Page {
            items,
            page: paging.page,
            per_page: paging.per_page,
            total,
        }
    }

    /// Which slice this page is.
    pub fn paging(&self) -> Paging {
        Paging {
            page: self.page,
            per_page: self.per_page,
        }
    }

    /// The same page with each item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            per_page: self.per_page,
            total: self.total,
        }
    }
}

/// The `page` query value of page `p`: empty for the first page, which
/// canonical links leave out.
pub fn page_param(p: u32) -> String {
    if p > 1 { p.to_string() } else { String::new() }
}

/// "← Previous · Page 2 of 9 · Next →" as plain links; nothing on one page.
/// `href` gives the link of a page number.
pub fn pager(paging: Paging, total: i64, href: impl Fn(u32) -> String) -> Markup {
    let pages = paging.pages(total);
    let page = paging.page;
    html! {
        @if pages > 1 {
            nav.pager aria-label="Pages" {
                @if page > 1 {
                    a.btn.btn-secondary rel="prev" href=(href(page - 1)) { "← Previous" }
                }
                span { "Page " (page) " of " (pages) }
                @if i64::from(page) < pages {
                    a.btn.btn-secondary rel="next" href=(href(page + 1)) { "Next →" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_paging_rule() {
        let mut errors = FieldErrors::new();
        let p = Paging::parse(Some(3), None, 50, &mut errors);
        assert!(errors.is_empty());
        assert_eq!((p.page, p.per_page, p.offset()), (3, 50, 100));
        assert_eq!(p.pages(101), 3);
        assert_eq!(p.pages(0), 1);
        Paging::parse(Some(0), Some(101), 50, &mut errors);
        assert_eq!(errors.fields().collect::<Vec<_>>(), ["page", "per_page"]);
    }
}
