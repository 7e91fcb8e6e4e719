//! Typed ids: a booking's id cannot be passed where a vehicle's is meant.
//!
//! Every id is a UUID (v7 for new rows: unique and time-ordered), stored as
//! lowercase hyphenated text. An id from a URL or a JSON body is parsed into
//! its type at the edge (`Path<BookingId>`), so a malformed id never reaches
//! SQL: the path extractor turns it into the same 404 as an unknown one.

use std::fmt;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Deserializer, Serialize};

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new, unique id.
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                $name(uuid::Uuid::now_v7().to_string())
            }

            /// The id in `s`, in canonical form; `None` unless it is a UUID.
            pub fn parse(s: &str) -> Option<Self> {
                parse_uuid(s).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| serde::de::Error::custom("not a valid id"))
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::Borrowed(ValueRef::Text(self.0.as_bytes())))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                // Stored ids were written by us; reading them back is no place to re-validate.
                value.as_str().map(|s| $name(s.to_owned())).map_err(|_| FromSqlError::InvalidType)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                uuid_schema()
            }
        }

        impl utoipa::ToSchema for $name {}
    )*};
}

ids! {
    /// A staff user.
    UserId;
    /// A workshop booking.
    BookingId;
    /// A file attached to a booking (by the customer or by staff).
    AttachmentId;
    /// A vehicle for sale.
    VehicleId;
    /// One photo of a vehicle.
    ImageId;
    /// A lead: an inquiry about a vehicle or a call-back request.
    LeadId;
    /// One message in the outbox.
    NotificationId;
}

fn parse_uuid(s: &str) -> Option<String> {
    uuid::Uuid::try_parse(s.trim())
        .ok()
        .map(|u| u.hyphenated().to_string())
}

fn uuid_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_uuids_in_canonical_form() {
        let id = BookingId::new();
        assert_eq!(BookingId::parse(id.as_str()), Some(id.clone()));
        let upper = id.as_str().to_uppercase();
        assert_eq!(BookingId::parse(&upper), Some(id));
        for bad in [
            "",
            "1",
            "x' OR 1=1 --",
            "../etc/passwd",
            "0191d7a0-0000-7000-8000-00000000000g",
        ] {
            assert_eq!(BookingId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_deserialize_from_json_strings() {
        let id = VehicleId::new();
        let json = format!("\"{id}\"");
        assert_eq!(serde_json::from_str::<VehicleId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<VehicleId>("\"nope\"").is_err());
    }
}
