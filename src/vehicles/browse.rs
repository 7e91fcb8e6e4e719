//! The public browse filters as they travel in a URL: parsed into a
//! `Filter`, and written back out as a canonical query string so paging
//! links are shareable and equal searches share one cache entry.

use serde::Deserialize;

use super::model::{Condition, VehicleStatus};
use super::repo::{Filter, Sort};
use crate::error::FieldErrors;
use crate::web::paging::{MAX_PER_PAGE, Paging};

/// The default page size of the stock lists (SPEC §5).
pub const PER_PAGE: u32 = 20;

/// The query string of `/vehicles` and `GET /v1/vehicles`. Everything is
/// text so a bad value is reported by name instead of failing the whole
/// request; an empty value (a form's blank select) means "any".
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BrowseQuery {
    pub make: Option<String>,
    pub model: Option<String>,
    #[param(value_type = Option<i64>)]
    pub year_min: Option<String>,
    #[param(value_type = Option<i64>)]
    pub year_max: Option<String>,
    /// MWK; separators such as `12,500,000` are accepted.
    #[param(value_type = Option<i64>, minimum = 0)]
    pub price_min: Option<String>,
    /// MWK.
    #[param(value_type = Option<i64>, minimum = 0)]
    pub price_max: Option<String>,
    /// `used`, `new` or `refurbished`.
    pub condition: Option<String>,
    /// `available`, `reserved`, `sold` or `any`; default available and reserved.
    pub status: Option<String>,
    /// Words to look for in the title, make, model, description and features.
    pub q: Option<String>,
    /// `newest` (default), `price_asc`, `price_desc`, `year_desc`, `mileage_asc`.
    pub sort: Option<String>,
    /// From 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    pub page: Option<String>,
    /// Default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A whole number, forgiving the separators people type: "12,500,000".
pub fn parse_number(s: &str) -> Option<i64> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '_' | '\''))
        .collect();
    digits.parse().ok()
}

impl BrowseQuery {
    /// The filter, or every bad parameter by name.
    pub fn parse(&self) -> Result<Filter, FieldErrors> {
        match self.parse_lenient() {
            (filter, errors) if errors.is_empty() => Ok(filter),
            (_, errors) => Err(errors),
        }
    }

    /// The filter with every bad parameter left at its default, and the
    /// errors of those parameters (for a page that shows them).
    pub fn parse_lenient(&self) -> (Filter, FieldErrors) {
        let mut errors = FieldErrors::new();
        let mut number = |field: &str, v: &Option<String>, min: i64| {
            given(v).and_then(|s| match parse_number(s) {
                Some(n) if n >= min => Some(n),
                _ => {
                    errors.add(field, "A whole number.");
                    None
                }
            })
        };
        let year_min = number("year_min", &self.year_min, 0);
        let year_max = number("year_max", &self.year_max, 0);
        let price_min = number("price_min", &self.price_min, 0);
        let price_max = number("price_max", &self.price_max, 0);
        let page = number("page", &self.page, 1).unwrap_or(1);
        let mut per_page = number("per_page", &self.per_page, 1).unwrap_or(PER_PAGE.into());
        if per_page > MAX_PER_PAGE.into() {
            errors.add("per_page", format!("At most {MAX_PER_PAGE}."));
            per_page = PER_PAGE.into();
        }
        let condition = given(&self.condition).and_then(|s| {
            Condition::parse(s).or_else(|| {
                errors.add("condition", "Choose used, new or refurbished.");
                None
            })
        });
        let for_sale = || vec![VehicleStatus::Available, VehicleStatus::Reserved];
        let statuses = match given(&self.status) {
            None => for_sale(),
            Some("any") => Vec::new(),
            Some(s) => match VehicleStatus::parse(s) {
                Some(st) => vec![st],
                None => {
                    errors.add("status", "Choose available, reserved, sold or any.");
                    for_sale()
                }
            },
        };
        let sort = match given(&self.sort) {
            None => Sort::Newest,
            Some(s) => Sort::parse(s).unwrap_or_else(|| {
                errors.add(
                    "sort",
                    "Use newest, price_asc, price_desc, year_desc or mileage_asc.",
                );
                Sort::Newest
            }),
        };
        let text = |v: &Option<String>| given(v).map(|s| s.chars().take(80).collect::<String>());
        let filter = Filter {
            make: text(&self.make),
            model: text(&self.model),
            year_min,
            year_max,
            price_min,
            price_max,
            condition,
            statuses,
            q: text(&self.q),
            sort,
            paging: Paging {
                page: u32::try_from(page).unwrap_or(u32::MAX),
                per_page: u32::try_from(per_page).unwrap_or(PER_PAGE),
            },
        };
        (filter, errors)
    }
}

/// The link to page `page` of this filter's results under `path`.
pub fn href(path: &str, f: &Filter, page: u32) -> String {
    let q = query_string(f, page);
    if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{q}")
    }
}

/// Writes a filter back as a query string (defaults left out), with `page`
/// replaced: the links of the pager and the key of the page cache.
pub fn query_string(f: &Filter, page: u32) -> String {
    let mut parts: Vec<(&str, String)> = Vec::new();
    let mut put = |k, v: Option<String>| {
        if let Some(v) = v {
            parts.push((k, v));
        }
    };
    put("q", f.q.clone());
    put("make", f.make.clone());
    put("model", f.model.clone());
    put("year_min", f.year_min.map(|n| n.to_string()));
    put("year_max", f.year_max.map(|n| n.to_string()));
    put("price_min", f.price_min.map(|n| n.to_string()));
    put("price_max", f.price_max.map(|n| n.to_string()));
    put("condition", f.condition.map(|c| c.as_str().to_owned()));
    let status = match f.statuses.as_slice() {
        [] => Some("any".to_owned()),
        [one] => Some(one.as_str().to_owned()),
        _ => None,
    };
    put("status", status);
    put(
        "sort",
        (f.sort != Sort::Newest).then(|| f.sort.as_str().to_owned()),
    );
    put(
        "per_page",
        (f.paging.per_page != PER_PAGE).then(|| f.paging.per_page.to_string()),
    );
    put("page", (page > 1).then(|| page.to_string()));
    parts
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::web::layout::url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> BrowseQuery {
        let s = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        serde_urlencoded_like(&s)
    }

    fn serde_urlencoded_like(s: &str) -> BrowseQuery {
        let map: std::collections::HashMap<String, String> = s
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        serde_json::from_value(serde_json::to_value(map).unwrap()).unwrap()
    }

    #[test]
    fn defaults_hide_sold_cars_and_show_twenty() {
        let f = q(&[]).parse().unwrap();
        assert_eq!(
            f.statuses,
            [VehicleStatus::Available, VehicleStatus::Reserved]
        );
        assert_eq!((f.paging, f.sort), (Paging::first(20), Sort::Newest));
        assert_eq!(query_string(&f, 1), "");
    }

    #[test]
    fn blank_form_fields_mean_any_and_prices_may_have_commas() {
        let f = q(&[("make", ""), ("price_max", "12,500,000"), ("condition", "")])
            .parse()
            .unwrap();
        assert_eq!(f.make, None);
        assert_eq!(f.price_max, Some(12_500_000));
        assert_eq!(query_string(&f, 2), "price_max=12500000&page=2");
    }

    #[test]
    fn bad_values_are_named() {
        let e = q(&[
            ("year_min", "old"),
            ("sort", "cheapest"),
            ("per_page", "500"),
            ("status", "gone"),
        ])
        .parse()
        .unwrap_err();
        let fields: Vec<_> = e.fields().collect();
        assert_eq!(fields, ["per_page", "sort", "status", "year_min"]);
    }
}
