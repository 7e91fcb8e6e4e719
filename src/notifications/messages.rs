//! Every message text, in one place so the owner can change the wording.
//! SMS texts aim for one 160-character GSM-7 segment: plain ASCII, short.

use super::Message;
use crate::config::Config;

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
    Message {
        subject: format!("Booking {} received", b.booking_ref),
        text: format!(
            "Dear {name},\n\nThank you for booking with {biz}. We have received your request:\n\n\
             Reference: {r}\nService: {s}\nWhen: {w}\nVehicle: {reg}\n\n\
             We will confirm it shortly. Check or cancel it at {url}/booking-status with your \
             reference and phone number.\n\nQuestions? Call {phone}.\n\n{biz}\n{addr}\n",
            name = b.customer_name,
            biz = c.business.name,
            r = b.booking_ref,
            s = b.service,
            w = b.when,
            reg = if b.vehicle_reg.is_empty() {
                "-"
            } else {
                b.vehicle_reg
            },
            url = c.base_url(),
            phone = c.business.phone,
            addr = c.business.address,
        ),
    }
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
    Message {
        subject: format!("Booking {} cancelled", b.booking_ref),
        text: format!(
            "Dear {},\n\nYour booking {} ({}, {}) is cancelled.\n\nTo book again, visit {}/book or call {}.\n\n{}\n",
            b.customer_name,
            b.booking_ref,
            b.service,
            b.when,
            c.base_url(),
            c.business.phone,
            c.business.name
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
            vehicle_reg: "BT 1234",
            service: "Tyres & wheel alignment",
            when: "Tue 24 Nov 08:30",
        };
        for m in [booking_received_sms(&c, &b), booking_cancelled_sms(&c, &b)] {
            assert!(m.text.len() <= 160, "{} chars: {}", m.text.len(), m.text);
            assert!(m.text.is_ascii());
            assert!(m.text.contains("DAY-20261124-001") && m.text.contains(&c.business.phone));
        }
    }
}
