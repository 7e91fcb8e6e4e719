//! Workshop bookings. This issue brings the service catalogue; the booking
//! flow itself builds on it.

pub mod model;
