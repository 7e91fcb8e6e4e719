//! Every message text, in one place so the owner can change the wording.
//! SMS texts aim for one 160-character GSM-7 segment: plain ASCII, short.

use crate::config::Config;
use crate::gateways::Message;

/// The facts of a booking that messages quote.
pub struct BookingFacts<'a> {
    pub booking_ref: &'a str,
    pub customer_name: &'a str,
    pub customer_phone: &'a str,
    pub vehicle_reg: &'a str,
    pub service: &'a str,
    /// e.g. "Tue 24 Nov 08:30"
    pub when: &'a str,
}

pub fn booking_received_sms(c: &Config, b: &BookingFacts<'_>) -> Message {
    sms(format!(
        "{}: booking {} received for {}, {}. We will confirm by SMS. Call {}",
        c.business.name, b.booking_ref, b.service, b.when, c.business.phone
    ))
}

pub fn booking_received_email(c: &Config, b: &BookingFacts<'_>) -> Message {
    customer_email(
        c,
        b,
        "received",
        &format!(
            "Thank you for booking with {}. We have received your request:\n\n{}\n\n\
             We will confirm it shortly. Check or cancel it at {}/booking-status with your \
             reference and phone number.",
            c.business.name,
            details(b),
            c.base_url()
        ),
    )
}

pub fn booking_cancelled_sms(c: &Config, b: &BookingFacts<'_>) -> Message {
    sms(format!(
        "{}: booking {} for {} is cancelled. To book again visit {}/book or call {}",
        c.business.name,
        b.booking_ref,
        b.when,
        c.base_url(),
        c.business.phone
    ))
}

pub fn booking_cancelled_email(c: &Config, b: &BookingFacts<'_>) -> Message {
    customer_email(
        c,
        b,
        "cancelled",
        &format!(
            "Your booking {} ({}, {}) is cancelled.\n\nTo book again, visit {}/book.",
            b.booking_ref,
            b.service,
            b.when,
            c.base_url()
        ),
    )
}

pub fn booking_confirmed_sms(c: &Config, b: &BookingFacts<'_>) -> Message {
    sms(format!(
        "{}: booking {} confirmed for {}. Please arrive on time. Call {}",
        c.business.name, b.booking_ref, b.when, c.business.phone
    ))
}

pub fn booking_confirmed_email(c: &Config, b: &BookingFacts<'_>) -> Message {
    customer_email(
        c,
        b,
        "confirmed",
        &format!(
            "Your booking is confirmed. We look forward to seeing you.\n\n{}",
            details(b)
        ),
    )
}

pub fn booking_rescheduled_sms(c: &Config, b: &BookingFacts<'_>) -> Message {
    sms(format!(
        "{}: booking {} moved to {}. Call {} if this time does not suit you.",
        c.business.name, b.booking_ref, b.when, c.business.phone
    ))
}

pub fn booking_rescheduled_email(c: &Config, b: &BookingFacts<'_>) -> Message {
    customer_email(
        c,
        b,
        "moved to a new time",
        &format!(
            "Your booking has moved to a new time: {}.\n\n{}\n\nIf this time does not suit you, please call us.",
            b.when,
            details(b)
        ),
    )
}

pub fn booking_checked_in_sms(c: &Config, b: &BookingFacts<'_>) -> Message {
    sms(format!(
        "{}: your vehicle {}is checked in (booking {}). We will SMS when it is ready. Call {}",
        c.business.name,
        reg_space(b),
        b.booking_ref,
        c.business.phone
    ))
}

pub fn booking_checked_in_email(c: &Config, b: &BookingFacts<'_>) -> Message {
    customer_email(
        c,
        b,
        "vehicle checked in",
        &format!(
            "Your vehicle is checked in at our workshop. We will let you know when it is ready.\n\n{}",
            details(b)
        ),
    )
}

pub fn booking_completed_sms(c: &Config, b: &BookingFacts<'_>) -> Message {
    sms(format!(
        "{}: your vehicle {}is ready for pickup (booking {}). Call {}",
        c.business.name,
        reg_space(b),
        b.booking_ref,
        c.business.phone
    ))
}

pub fn booking_completed_email(c: &Config, b: &BookingFacts<'_>) -> Message {
    customer_email(
        c,
        b,
        "ready for pickup",
        &format!(
            "The work on your vehicle is done and it is ready for pickup.\n\n{}\n\nWe are at {}.",
            details(b),
            c.business.address
        ),
    )
}

pub fn booking_reminder_sms(c: &Config, b: &BookingFacts<'_>) -> Message {
    sms(format!(
        "{}: reminder of booking {} on {}. To change it call {}",
        c.business.name, b.booking_ref, b.when, c.business.phone
    ))
}

pub fn booking_reminder_email(c: &Config, b: &BookingFacts<'_>) -> Message {
    customer_email(
        c,
        b,
        "reminder",
        &format!(
            "A reminder of your booking with us.\n\n{}\n\nTo change or cancel it, visit {}/booking-status or call us.",
            details(b),
            c.base_url()
        ),
    )
}

/// The "send test message" of the settings page and the API.
pub fn test_message(c: &Config, channel: &str) -> Message {
    Message {
        subject: format!("{}: test message", c.business.name),
        text: format!(
            "{}: test message. Sending by {} works. Call {}",
            c.business.name, channel, c.business.phone
        ),
    }
}

/// "Reference / Service / When / Vehicle" lines of a customer email.
fn details(b: &BookingFacts<'_>) -> String {
    format!(
        "Reference: {}\nService: {}\nWhen: {}\nVehicle: {}",
        b.booking_ref,
        b.service,
        b.when,
        if b.vehicle_reg.is_empty() {
            "-"
        } else {
            b.vehicle_reg
        }
    )
}

/// "BT 1234 " or nothing, to name the vehicle in an SMS.
fn reg_space(b: &BookingFacts<'_>) -> String {
    if b.vehicle_reg.is_empty() {
        String::new()
    } else {
        format!("{} ", b.vehicle_reg)
    }
}

/// A customer email: greeting, `body`, the business's phone and name.
fn customer_email(c: &Config, b: &BookingFacts<'_>, what: &str, body: &str) -> Message {
    Message {
        subject: format!("Booking {} {}", b.booking_ref, what),
        text: format!(
            "Dear {},\n\n{}\n\nQuestions? Call {}.\n\n{}\n{}\n",
            b.customer_name, body, c.business.phone, c.business.name, c.business.address
        ),
    }
}

/// For staff: a new booking arrived.
pub fn new_booking_staff(b: &BookingFacts<'_>) -> Message {
    let reg = if b.vehicle_reg.is_empty() {
        String::new()
    } else {
        format!(", reg {}", b.vehicle_reg)
    };
    Message {
        subject: format!("New booking {}: {} {}", b.booking_ref, b.service, b.when),
        text: format!(
            "New booking {}: {}, {}. {} {}{}",
            b.booking_ref, b.service, b.when, b.customer_name, b.customer_phone, reg
        ),
    }
}

/// The facts of a lead that the staff message quotes.
pub struct LeadFacts<'a> {
    /// e.g. "Test drive request"
    pub kind: &'a str,
    pub name: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    /// The vehicle's title, or empty for a general inquiry.
    pub vehicle: &'a str,
    /// Link to the lead in the admin.
    pub admin_url: &'a str,
}

/// For staff: a visitor asked about a vehicle (or in general).
pub fn new_lead_staff(l: &LeadFacts<'_>) -> Message {
    let about = if l.vehicle.is_empty() {
        String::new()
    } else {
        format!(" about {}", l.vehicle)
    };
    let contact = [l.phone, l.email]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Message {
        subject: format!("New lead: {}{}", l.kind, about),
        text: format!(
            "New lead: {}{}. {} {}. {}",
            l.kind, about, l.name, contact, l.admin_url
        ),
    }
}

fn sms(text: String) -> Message {
    Message {
        subject: String::new(),
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_sms_fits_one_segment() {
        let c = Config::defaults();
        let b = BookingFacts {
            booking_ref: "DAY-20261124-001",
            customer_name: "Yamikani Phiri",
            customer_phone: "+265991234567",
            // The longest registration a booking accepts.
            vehicle_reg: "BT 1234 ABCDEFGHIJKL",
            service: "Tyres & wheel alignment",
            when: "Tue 24 Nov 08:30",
        };
        let all = [
            booking_received_sms,
            booking_confirmed_sms,
            booking_rescheduled_sms,
            booking_checked_in_sms,
            booking_completed_sms,
            booking_cancelled_sms,
            booking_reminder_sms,
        ];
        for m in all.map(|f| f(&c, &b)) {
            assert!(m.text.len() <= 160, "{} chars: {}", m.text.len(), m.text);
            assert!(m.text.is_ascii());
            assert!(m.text.contains("DAY-20261124-001") && m.text.contains(&c.business.phone));
        }
    }

    #[test]
    fn customer_emails_quote_the_ref_and_phone() {
        let c = Config::defaults();
        let b = BookingFacts {
            booking_ref: "DAY-20261124-002",
            customer_name: "Chisomo Banda",
            customer_phone: "+265881234567",
            vehicle_reg: "",
            service: "Oil change",
            when: "Wed 25 Nov 10:30",
        };
        let all = [
            booking_received_email,
            booking_confirmed_email,
            booking_rescheduled_email,
            booking_checked_in_email,
            booking_completed_email,
            booking_cancelled_email,
            booking_reminder_email,
        ];
        for m in all.map(|f| f(&c, &b)) {
            assert!(m.subject.contains("DAY-20261124-002"), "{}", m.subject);
            assert!(m.text.contains("DAY-20261124-002") && m.text.contains(&c.business.phone));
            assert!(m.text.starts_with("Dear Chisomo Banda,"));
        }
    }
}
