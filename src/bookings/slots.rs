//! The slot engine: which workshop slots exist on a day, and whether one can
//! still be booked, from `[booking]` config in the business time zone.
//!
//! Pure functions of (config, date, time, now): no database, so the rules are
//! unit-tested directly; capacity is counted by the repo.

use jiff::{
    SignedDuration, Timestamp, ToSpan,
    civil::{Date, Time},
    tz::TimeZone,
};

use crate::config::{Booking, Config};

/// The booking rules of one configuration.
pub struct Schedule<'a> {
    rules: &'a Booking,
    tz: &'a TimeZone,
}

/// Why a date and time cannot be booked; each names the form field at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotError {
    PastDate,
    TooFarAhead,
    ClosedDay,
    NotASlot,
    TooSoon,
}

impl SlotError {
    pub fn field(self) -> &'static str {
        match self {
            SlotError::PastDate | SlotError::TooFarAhead | SlotError::ClosedDay => "preferred_date",
            SlotError::NotASlot | SlotError::TooSoon => "preferred_time",
        }
    }

    pub fn message(self, schedule: &Schedule<'_>) -> String {
        match self {
            SlotError::PastDate => "This date is in the past.".into(),
            SlotError::TooFarAhead => format!(
                "Bookings can be made at most {} days ahead.",
                schedule.rules.max_days_ahead.0
            ),
            SlotError::ClosedDay => "The workshop is closed on this day.".into(),
            SlotError::NotASlot => "Choose one of the offered times for this day.".into(),
            SlotError::TooSoon => format!(
                "This time is too soon: please book at least {} hours ahead.",
                schedule.rules.min_notice_hours
            ),
        }
    }
}

impl<'a> Schedule<'a> {
    pub fn new(config: &'a Config) -> Schedule<'a> {
        Schedule {
            rules: &config.booking,
            tz: config.business.timezone.tz(),
        }
    }

    pub fn slot_minutes(&self) -> i64 {
        self.rules.slot_minutes.0.into()
    }

    pub fn capacity(&self) -> i64 {
        self.rules.capacity_per_slot.0.into()
    }

    /// The business day `now` falls on.
    pub fn today(&self, now: Timestamp) -> Date {
        now.to_zoned(self.tz.clone()).date()
    }

    /// The last day that can be booked.
    pub fn last_bookable_day(&self, now: Timestamp) -> Date {
        let today = self.today(now);
        today
            .checked_add(i64::from(self.rules.max_days_ahead.0).days())
            .unwrap_or(today)
    }

    pub fn is_closed(&self, date: Date) -> bool {
        self.rules.closed_dates.contains(&date) || self.rules.hours.on(date.weekday()).0.is_none()
    }

    /// Start times of every slot on `date`: from opening, one slot length
    /// apart, each ending by closing time. Empty on a closed day.
    pub fn slot_times(&self, date: Date) -> Vec<Time> {
        let Some((open, close)) = self.rules.hours.on(date.weekday()).0 else {
            return Vec::new();
        };
        if self.rules.closed_dates.contains(&date) {
            return Vec::new();
        }
        let step = SignedDuration::from_mins(self.slot_minutes());
        let mut times = Vec::new();
        let mut t = open;
        while let Ok(end) = t.checked_add(step) {
            if end > close || end <= t {
                break;
            }
            times.push(t);
            t = end;
        }
        times
    }

    /// The instant a slot starts.
    pub fn slot_start(&self, date: Date, time: Time) -> Option<Timestamp> {
        date.to_datetime(time)
            .to_zoned(self.tz.clone())
            .ok()
            .map(|z| z.timestamp())
    }

    /// Whether `date` at `time` may be booked at `now` (capacity aside).
    pub fn check(&self, date: Date, time: Time, now: Timestamp) -> Result<(), SlotError> {
        if date < self.today(now) {
            return Err(SlotError::PastDate);
        }
        if date > self.last_bookable_day(now) {
            return Err(SlotError::TooFarAhead);
        }
        if self.is_closed(date) {
            return Err(SlotError::ClosedDay);
        }
        if !self.slot_times(date).contains(&time) {
            return Err(SlotError::NotASlot);
        }
        let notice = SignedDuration::from_hours(self.rules.min_notice_hours.into());
        match self.slot_start(date, time) {
            Some(start) if start >= now.saturating_add(notice).unwrap_or(now) => Ok(()),
            _ => Err(SlotError::TooSoon),
        }
    }
}

/// `HH:MM`, the only time format the API and forms use.
pub fn parse_time(s: &str) -> Option<Time> {
    let s = s.trim();
    (s.len() == 5)
        .then(|| Time::strptime("%H:%M", s).ok())
        .flatten()
}

/// `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    (s.len() == 10).then(|| s.parse::<Date>().ok()).flatten()
}

pub fn fmt_time(t: Time) -> String {
    t.strftime("%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn config(env: &[(&str, &str)]) -> Config {
        Config::load(
            None,
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
        .unwrap()
    }

    /// Monday 23 November 2026, 08:00 in Blantyre (06:00 UTC).
    fn monday_8am() -> Timestamp {
        "2026-11-23T06:00:00Z".parse().unwrap()
    }

    #[test]
    fn default_weekday_has_hourly_slots_that_end_by_closing() {
        let c = config(&[]);
        let s = Schedule::new(&c);
        let times: Vec<String> = s
            .slot_times(date(2026, 11, 24))
            .into_iter()
            .map(fmt_time)
            .collect();
        assert_eq!(times.first().unwrap(), "07:30");
        assert_eq!(
            times.last().unwrap(),
            "15:30",
            "16:30 would end after 17:00"
        );
        assert_eq!(times.len(), 9);
        let saturday: Vec<String> = s
            .slot_times(date(2026, 11, 28))
            .into_iter()
            .map(fmt_time)
            .collect();
        assert_eq!(saturday, ["08:00", "09:00", "10:00", "11:00"]);
        assert!(
            s.slot_times(date(2026, 11, 29)).is_empty(),
            "Sunday is closed"
        );
    }

    #[test]
    fn slot_length_comes_from_config() {
        let c = config(&[("DAYTONA_BOOKING__SLOT_MINUTES", "30")]);
        let s = Schedule::new(&c);
        assert_eq!(s.slot_times(date(2026, 11, 28)).len(), 8);
    }

    #[test]
    fn each_rule_names_its_field() {
        let c = config(&[("DAYTONA_BOOKING__CLOSED_DATES", "2026-12-25")]);
        let s = Schedule::new(&c);
        let now = monday_8am();
        let cases = [
            (date(2026, 11, 20), time(9, 30, 0, 0), SlotError::PastDate),
            (date(2027, 1, 23), time(9, 30, 0, 0), SlotError::TooFarAhead),
            (date(2026, 11, 29), time(9, 30, 0, 0), SlotError::ClosedDay),
            (date(2026, 12, 25), time(9, 30, 0, 0), SlotError::ClosedDay),
            (date(2026, 11, 24), time(9, 0, 0, 0), SlotError::NotASlot),
            (date(2026, 11, 24), time(6, 30, 0, 0), SlotError::NotASlot),
            (date(2026, 11, 24), time(16, 30, 0, 0), SlotError::NotASlot),
            (date(2026, 11, 23), time(9, 30, 0, 0), SlotError::TooSoon),
            (date(2026, 11, 23), time(7, 30, 0, 0), SlotError::TooSoon),
        ];
        for (d, t, want) in cases {
            assert_eq!(s.check(d, t, now), Err(want), "{d} {t}");
        }
        assert_eq!(s.check(date(2026, 11, 23), time(10, 30, 0, 0), now), Ok(()));
        assert_eq!(
            s.check(date(2027, 1, 22), time(9, 30, 0, 0), now),
            Ok(()),
            "exactly 60 days ahead"
        );
        assert_eq!(SlotError::ClosedDay.field(), "preferred_date");
        assert_eq!(SlotError::TooSoon.field(), "preferred_time");
    }

    #[test]
    fn the_business_day_is_the_blantyre_day() {
        let c = config(&[]);
        let s = Schedule::new(&c);
        // 23:30 UTC on Monday is 01:30 on Tuesday in Blantyre (UTC+2).
        let late: Timestamp = "2026-11-23T23:30:00Z".parse().unwrap();
        assert_eq!(s.today(late), date(2026, 11, 24));
        assert_eq!(
            s.slot_start(date(2026, 11, 24), time(7, 30, 0, 0))
                .unwrap()
                .to_string(),
            "2026-11-24T05:30:00Z"
        );
    }

    #[test]
    fn times_and_dates_parse_strictly() {
        assert_eq!(parse_time("08:30"), Some(time(8, 30, 0, 0)));
        for bad in ["8:30", "08:30:00", "24:00", "ab:cd", ""] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(parse_date("2026-11-24"), Some(date(2026, 11, 24)));
        for bad in ["2026-02-30", "24/11/2026", "2026-1-4", ""] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
