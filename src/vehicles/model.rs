//! A vehicle listing (SPEC §4): its enums, its fields, and the one set of
//! rules every change must pass, whether it comes from the admin form or the
//! JSON API.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::error::FieldErrors;
use crate::ids::VehicleId;
use crate::text::Lines;
use crate::web::layout::thousands;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Used,
    New,
    Refurbished,
}

impl Condition {
    pub const ALL: [Condition; 3] = [Condition::Used, Condition::New, Condition::Refurbished];

    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Used => "used",
            Condition::New => "new",
            Condition::Refurbished => "refurbished",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Condition::Used => "Used",
            Condition::New => "New",
            Condition::Refurbished => "Refurbished",
        }
    }

    pub fn parse(s: &str) -> Option<Condition> {
        Condition::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// (value, label) for a `<select>`.
    pub fn options() -> Vec<(&'static str, &'static str)> {
        Condition::ALL.map(|c| (c.as_str(), c.label())).to_vec()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VehicleStatus {
    Available,
    Reserved,
    Sold,
}

impl VehicleStatus {
    pub const ALL: [VehicleStatus; 3] = [
        VehicleStatus::Available,
        VehicleStatus::Reserved,
        VehicleStatus::Sold,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VehicleStatus::Available => "available",
            VehicleStatus::Reserved => "reserved",
            VehicleStatus::Sold => "sold",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VehicleStatus::Available => "Available",
            VehicleStatus::Reserved => "Reserved",
            VehicleStatus::Sold => "Sold",
        }
    }

    pub fn parse(s: &str) -> Option<VehicleStatus> {
        VehicleStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// (value, label) for a `<select>`.
    pub fn options() -> Vec<(&'static str, &'static str)> {
        VehicleStatus::ALL.map(|s| (s.as_str(), s.label())).to_vec()
    }
}

/// Stored as their names.
impl rusqlite::ToSql for Condition {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl rusqlite::ToSql for VehicleStatus {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

/// Everything staff edit about a listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VehicleData {
    pub title: String,
    pub make: String,
    pub model: String,
    pub year: i64,
    pub trim: String,
    pub condition: Condition,
    /// MWK; `None` is "price on request".
    pub price: Option<i64>,
    /// Kilometres.
    pub mileage: Option<i64>,
    pub vin: String,
    pub reg_number: String,
    pub location: String,
    pub description: String,
    pub features: Vec<String>,
    pub status: VehicleStatus,
}

impl Default for VehicleData {
    fn default() -> Self {
        VehicleData {
            title: String::new(),
            make: String::new(),
            model: String::new(),
            year: 0,
            trim: String::new(),
            condition: Condition::Used,
            price: None,
            mileage: None,
            vin: String::new(),
            reg_number: String::new(),
            location: String::new(),
            description: String::new(),
            features: Vec::new(),
            status: VehicleStatus::Available,
        }
    }
}

/// A change to a listing: absent fields stay as they are. `price` and
/// `mileage` distinguish absent (unchanged) from `null` (cleared: a null
/// price means "price on request"). Creating a listing is a patch on an
/// empty one, so both paths share the rules in `VehicleData::check`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VehiclePatch {
    pub title: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i64>,
    pub trim: Option<String>,
    #[schema(value_type = Option<Condition>)]
    pub condition: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub price: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub mileage: Option<Option<i64>>,
    pub vin: Option<String>,
    pub reg_number: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub features: Option<Vec<String>>,
    #[schema(value_type = Option<VehicleStatus>)]
    pub status: Option<String>,
}

/// A field that is present (even as `null`) becomes `Some(..)`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

const LONGEST_TEXT: usize = 120;
const LONGEST_DESCRIPTION: usize = 5000;
const MOST_FEATURES: usize = 40;
const LONGEST_FEATURE: usize = 80;
const HIGHEST_PRICE: i64 = 1_000_000_000_000;
const HIGHEST_MILEAGE: i64 = 5_000_000;

impl VehiclePatch {
    /// Applies the patch to `base` and checks the result.
    pub fn apply_to(self, base: &VehicleData) -> Result<VehicleData, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut v = base.clone();
        let mut text = |field: &str, s: String, lines: Lines| {
            crate::text::clean(&s, lines).unwrap_or_else(|why| {
                errors.add(field, why);
                String::new()
            })
        };
        if let Some(s) = self.make {
            v.make = text("make", s, Lines::One);
        }
        if let Some(s) = self.model {
            v.model = text("model", s, Lines::One);
        }
        if let Some(s) = self.trim {
            v.trim = text("trim", s, Lines::One);
        }
        if let Some(s) = self.vin {
            v.vin = text("vin", s, Lines::One).to_uppercase();
        }
        if let Some(s) = self.reg_number {
            v.reg_number = text("reg_number", s, Lines::One).to_uppercase();
        }
        if let Some(s) = self.location {
            v.location = text("location", s, Lines::One);
        }
        if let Some(s) = self.description {
            v.description = text("description", s, Lines::Many);
        }
        if let Some(list) = self.features {
            v.features = list
                .into_iter()
                .map(|f| text("features", f, Lines::One))
                .filter(|f| !f.is_empty())
                .collect();
        }
        if let Some(s) = self.title {
            v.title = text("title", s, Lines::One);
        }
        if let Some(y) = self.year {
            v.year = y;
        }
        if let Some(s) = self.condition {
            match Condition::parse(s.trim()) {
                Some(c) => v.condition = c,
                None => errors.add("condition", "Choose used, new or refurbished."),
            }
        }
        if let Some(p) = self.price {
            v.price = p;
        }
        if let Some(m) = self.mileage {
            v.mileage = m;
        }
        if let Some(s) = self.status {
            match VehicleStatus::parse(s.trim()) {
                Some(st) => v.status = st,
                None => errors.add("status", "Choose available, reserved or sold."),
            }
        }
        if v.title.is_empty() {
            v.title = v.default_title();
        }
        v.check(&mut errors);
        if errors.is_empty() {
            Ok(v)
        } else {
            Err(errors)
        }
    }
}

impl VehicleData {
    /// "2018 Toyota Hilux 2.8 GD-6": what staff would write anyway.
    pub fn default_title(&self) -> String {
        [
            (self.year > 0).then(|| self.year.to_string()),
            Some(self.make.clone()),
            Some(self.model.clone()),
            Some(self.trim.clone()),
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
    }

    fn check(&self, errors: &mut FieldErrors) {
        let max_year = i64::from(
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .year(),
        ) + 1;
        let mut text = |field: &str, value: &str, required: bool, max: usize| {
            if required && value.is_empty() {
                errors.add(field, "Required.");
            } else if value.chars().count() > max {
                errors.add(field, format!("At most {max} characters."));
            }
        };
        text("make", &self.make, true, 60);
        text("model", &self.model, true, 60);
        text("title", &self.title, true, LONGEST_TEXT);
        text("trim", &self.trim, false, 60);
        text("vin", &self.vin, false, 32);
        text("reg_number", &self.reg_number, false, 20);
        text("location", &self.location, false, LONGEST_TEXT);
        text("description", &self.description, false, LONGEST_DESCRIPTION);
        if !(1900..=max_year).contains(&self.year) {
            errors.add("year", format!("A year between 1900 and {max_year}."));
        }
        if self
            .price
            .is_some_and(|p| !(0..=HIGHEST_PRICE).contains(&p))
        {
            errors.add("price", "A whole number of MWK, 0 or more.");
        }
        if self
            .mileage
            .is_some_and(|m| !(0..=HIGHEST_MILEAGE).contains(&m))
        {
            errors.add("mileage", "Kilometres, 0 or more.");
        }
        if self.features.len() > MOST_FEATURES {
            errors.add("features", format!("At most {MOST_FEATURES} features."));
        } else if self
            .features
            .iter()
            .any(|f| f.chars().count() > LONGEST_FEATURE)
        {
            errors.add(
                "features",
                format!("Each feature at most {LONGEST_FEATURE} characters."),
            );
        }
    }
}

/// `MWK 12,500,000`, or "Price on request".
pub fn price_label(currency: &str, price: Option<i64>) -> String {
    match price {
        Some(p) => format!("{currency} {}", thousands(p)),
        None => "Price on request".to_owned(),
    }
}

/// A URL slug from a title: "2018 Toyota Hilux" → "2018-toyota-hilux".
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(60).collect()
}

/// `/vehicles/<id>-<slug>`: the id is what counts; the slug makes shared
/// links readable.
pub fn vehicle_path(id: &VehicleId, title: &str) -> String {
    let s = slug(title);
    if s.is_empty() {
        format!("/vehicles/{id}")
    } else {
        format!("/vehicles/{id}-{s}")
    }
}

/// The `{id}` of `/vehicles/{id}`: a vehicle id, bare or followed by
/// `-<slug>` (ids are 36-character UUIDs). Anything else is a 404.
#[derive(Debug, Clone)]
pub struct VehicleKey(pub VehicleId);

impl<'de> Deserialize<'de> for VehicleKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let id = match key.get(..36) {
            Some(id) if key.len() == 36 || key[36..].starts_with('-') => id,
            _ => &key,
        };
        VehicleId::parse(id)
            .map(VehicleKey)
            .ok_or_else(|| serde::de::Error::custom("not a vehicle"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hilux() -> VehiclePatch {
        VehiclePatch {
            make: Some("Toyota".into()),
            model: Some(" Hilux ".into()),
            year: Some(2018),
            condition: Some("used".into()),
            price: Some(Some(32_500_000)),
            features: Some(vec!["4x4".into(), "  ".into(), "Tow bar".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_listing_gets_a_title_and_clean_fields() {
        let v = hilux().apply_to(&VehicleData::default()).unwrap();
        assert_eq!(v.title, "2018 Toyota Hilux");
        assert_eq!(v.model, "Hilux");
        assert_eq!(v.features, ["4x4", "Tow bar"]);
        assert_eq!(v.status, VehicleStatus::Available);
    }

    #[test]
    fn every_bad_field_is_named() {
        let patch = VehiclePatch {
            year: Some(1800),
            condition: Some("scrap".into()),
            price: Some(Some(-1)),
            ..Default::default()
        };
        let errors = patch.apply_to(&VehicleData::default()).unwrap_err();
        let fields: Vec<_> = errors.fields().collect();
        assert_eq!(fields, ["condition", "make", "model", "price", "year"]);
    }

    #[test]
    fn null_price_means_on_request_and_absent_means_unchanged() {
        let v = hilux().apply_to(&VehicleData::default()).unwrap();
        let same = VehiclePatch::default().apply_to(&v).unwrap();
        assert_eq!(same.price, Some(32_500_000));
        let patch: VehiclePatch = serde_json::from_str(r#"{"price": null}"#).unwrap();
        assert_eq!(patch.apply_to(&v).unwrap().price, None);
    }

    #[test]
    fn prices_read_like_prices() {
        assert_eq!(price_label("MWK", Some(12_500_000)), "MWK 12,500,000");
        assert_eq!(price_label("MWK", Some(950)), "MWK 950");
        assert_eq!(price_label("MWK", None), "Price on request");
        assert_eq!(thousands(1_000), "1,000");
    }

    #[test]
    fn slugs_are_short_and_plain() {
        assert_eq!(
            slug("2018 Toyota Hilux 2.8 GD-6!"),
            "2018-toyota-hilux-2-8-gd-6"
        );
        assert_eq!(slug("  "), "");
    }
}
