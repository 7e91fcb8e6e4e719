//! The public booking API: availability, creation rules, capacity under
//! concurrency, refs, attachments, lookup, cancel, abuse protection.

use std::sync::Arc;

use daytona::clock::FixedClock;
use serde_json::{Value, json};

use crate::helpers::*;

/// Monday 23 November 2026, 08:00 in Blantyre.
pub const MONDAY_8AM: &str = "2026-11-23T06:00:00Z";

pub async fn workshop(overrides: &[(&str, &str)]) -> TestApp {
    let clock = FixedClock::new(MONDAY_8AM.parse().unwrap());
    spawn_app_with_clock(overrides, Arc::new(clock)).await
}

pub fn booking(date: &str, time: &str) -> Value {
    json!({
        "name": "Yamikani Phiri",
        "phone": "0991 234 567",
        "email": "yami@example.com",
        "vehicle_reg": "bt 1234",
        "service_type": "full_service",
        "preferred_date": date,
        "preferred_time": time,
        "notes": "Squeaky brakes",
        "consent": true
    })
}

pub async fn post_booking(app: &TestApp, body: &Value) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/v1/bookings"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    app.state
        .db
        .read(move |c| -> anyhow::Result<i64> { Ok(c.query_row(sql, [], |r| r.get(0))?) })
        .await
        .unwrap()
}

fn files_under(dir: &std::path::Path) -> usize {
    walk(dir)
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| {
                    let p = e.unwrap().path();
                    if p.is_dir() { walk(&p) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn availability_lists_every_slot_of_the_day() {
    let app = workshop(&[]).await;
    let res = app.get("/v1/availability?date=2026-11-24").await;
    assert_eq!(res.status(), 200);
    let day: Value = res.json().await.unwrap();
    assert_eq!(day["date"], "2026-11-24");
    assert_eq!(day["closed"], false);
    let slots = day["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 9);
    assert_eq!(
        slots[0],
        json!({"time": "07:30", "capacity": 3, "booked": 0, "available": 3, "bookable": true})
    );

    let sunday: Value = app
        .get("/v1/availability?date=2026-11-29")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        sunday,
        json!({"date": "2026-11-29", "closed": true, "slots": []})
    );

    // Today: slots inside the 2-hour notice are listed but not bookable.
    let today: Value = app
        .get("/v1/availability?date=2026-11-23")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(today["slots"][0]["bookable"], false);
    assert_eq!(today["slots"][3]["bookable"], true, "10:30 is 2.5 h away");

    for bad in [
        "/v1/availability",
        "/v1/availability?date=tomorrow",
        "/v1/availability?date=2026-02-30",
    ] {
        let res = app.get(bad).await;
        assert_eq!(res.status(), 422, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert!(body["error"]["fields"]["date"].is_string(), "{bad}");
    }
}

#[tokio::test]
async fn a_booking_is_stored_with_history_and_outbox_rows() {
    let app = workshop(&[
        ("DAYTONA_BUSINESS__STAFF_EMAILS", "desk@daytona.mw"),
        ("DAYTONA_BUSINESS__STAFF_PHONES", "+265888000111"),
    ])
    .await;
    let (status, body) = post_booking(&app, &booking("2026-11-24", "09:30")).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body,
        json!({
            "booking_ref": "DAY-20261123-001",
            "status": "requested",
            "service_type": "full_service",
            "preferred_date": "2026-11-24",
            "preferred_time": "09:30"
        })
    );
    let row: (String, String, String) = app
        .state
        .db
        .read(|c| -> anyhow::Result<_> {
            Ok(c.query_row(
                "SELECT customer_phone, vehicle_reg, status FROM bookings",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(
        row,
        ("+265991234567".into(), "BT 1234".into(), "requested".into())
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM booking_events WHERE to_status = 'requested' AND from_status IS NULL").await, 1);
    // Customer SMS + customer email + staff email + staff SMS, all in the
    // outbox (the worker may already have sent them).
    let outbox: Vec<(String, String, String, String)> = app
        .state
        .db
        .read(|c| -> anyhow::Result<_> {
            let mut s = c.prepare("SELECT channel, recipient, template, payload FROM notifications ORDER BY channel, recipient")?;
            Ok(s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<Vec<_>, _>>()?)
        })
        .await
        .unwrap();
    let summary: Vec<(&str, &str, &str)> = outbox
        .iter()
        .map(|(c, r, t, _)| (c.as_str(), r.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("email", "desk@daytona.mw", "new_booking"),
            ("email", "yami@example.com", "booking_received"),
            ("sms", "+265888000111", "new_booking"),
            ("sms", "+265991234567", "booking_received"),
        ]
    );
    for (_, _, _, payload) in &outbox {
        assert!(payload.contains("DAY-20261123-001"), "{payload}");
    }
    let sms: Value = serde_json::from_str(&outbox[3].3).unwrap();
    assert!(sms["text"].as_str().unwrap().len() <= 160);
}

#[tokio::test]
async fn every_validation_rule_names_its_field() {
    let app = workshop(&[
        ("DAYTONA_BOOKING__CLOSED_DATES", "2026-12-01"),
        ("DAYTONA_SECURITY__BOOKINGS_PER_HOUR", "100"),
    ])
    .await;
    let cases: &[(&str, Value, &str)] = &[
        ("preferred_date", json!("2026-11-20"), "past date"),
        (
            "preferred_date",
            json!("2027-02-01"),
            "beyond max_days_ahead",
        ),
        ("preferred_date", json!("2026-11-29"), "closed weekday"),
        ("preferred_date", json!("2026-12-01"), "closed date"),
        ("preferred_date", json!("24/11/2026"), "malformed date"),
        ("preferred_time", json!("09:00"), "off the slot grid"),
        ("preferred_time", json!("06:30"), "before opening"),
        ("preferred_time", json!("16:30"), "ends after closing"),
        ("preferred_time", json!("9.30"), "malformed time"),
        ("service_type", json!("car_wash"), "unknown service type"),
        ("consent", json!(false), "consent refused"),
        ("phone", json!("12345"), "bad phone"),
        ("email", json!("yami@"), "bad email"),
        ("name", json!(""), "missing name"),
        ("vehicle_reg", json!("BT<script>"), "bad registration"),
    ];
    for (field, value, why) in cases {
        let mut body = booking("2026-11-24", "09:30");
        body[*field] = value.clone();
        let (status, res) = post_booking(&app, &body).await;
        assert_eq!(status, 422, "{why}: {res}");
        assert_eq!(res["error"]["code"], "validation_failed", "{why}");
        let fields = res["error"]["fields"].as_object().unwrap();
        assert_eq!(fields.keys().collect::<Vec<_>>(), [field], "{why}: {res}");
    }
    // Too soon today: 08:30 is 30 minutes away with 2 hours' notice.
    let (status, res) = post_booking(&app, &booking("2026-11-23", "08:30")).await;
    assert_eq!(status, 422);
    assert!(res["error"]["fields"]["preferred_time"].is_string());
    // Missing consent altogether.
    let mut body = booking("2026-11-24", "09:30");
    body.as_object_mut().unwrap().remove("consent");
    assert!(post_booking(&app, &body).await.1["error"]["fields"]["consent"].is_string());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bookings").await, 0);
}

#[tokio::test]
async fn malformed_and_unsupported_bodies() {
    let app = workshop(&[]).await;
    let res = app
        .client
        .post(app.url("/v1/bookings"))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "malformed_json"
    );
    let res = app
        .client
        .post(app.url("/v1/bookings"))
        .header("content-type", "text/plain")
        .body("book me")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "unsupported_media_type"
    );
    let res = app
        .client
        .post(app.url("/v1/bookings"))
        .header("content-type", "application/json")
        .body("{\"name\": 42}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn twenty_concurrent_requests_for_a_slot_of_two_create_exactly_two() {
    let app = Arc::new(
        workshop(&[
            ("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "2"),
            ("DAYTONA_SECURITY__BOOKINGS_PER_HOUR", "1000"),
        ])
        .await,
    );
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut body = booking("2026-11-25", "10:30");
            body["name"] = json!(format!("Customer {i}"));
            post_booking(&app, &body).await
        }));
    }
    let mut created = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            201 => created += 1,
            409 => {
                assert_eq!(body["error"]["code"], "slot_full");
                let alternatives = body["error"]["alternatives"].as_array().unwrap();
                assert_eq!(
                    alternatives[0],
                    json!({"date": "2026-11-25", "time": "11:30"})
                );
                assert_eq!(alternatives.len(), 3);
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created, 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bookings").await, 2);
    let day: Value = app
        .get("/v1/availability?date=2026-11-25")
        .await
        .json()
        .await
        .unwrap();
    let slot = day["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["time"] == "10:30")
        .unwrap()
        .clone();
    assert_eq!(
        (slot["booked"].clone(), slot["available"].clone()),
        (json!(2), json!(0))
    );
}

#[tokio::test]
async fn refs_stay_unique_and_sequential_under_concurrency() {
    let app = Arc::new(
        workshop(&[
            ("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "100"),
            ("DAYTONA_SECURITY__BOOKINGS_PER_HOUR", "1000"),
        ])
        .await,
    );
    let mut tasks = Vec::new();
    for i in 0..30 {
        let app = app.clone();
        let time = ["08:30", "09:30", "10:30"][i % 3];
        tasks.push(tokio::spawn(async move {
            post_booking(&app, &booking("2026-11-26", time)).await
        }));
    }
    let mut refs = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 201, "{body}");
        refs.push(body["booking_ref"].as_str().unwrap().to_owned());
    }
    refs.sort();
    let expected: Vec<String> = (1..=30).map(|n| format!("DAY-20261123-{n:03}")).collect();
    assert_eq!(refs, expected);
}

#[tokio::test]
async fn a_booking_made_at_23_30_utc_is_dated_by_the_blantyre_day() {
    let clock = FixedClock::new("2026-11-23T23:30:00Z".parse().unwrap());
    let app = spawn_app_with_clock(&[], Arc::new(clock)).await;
    let (status, body) = post_booking(&app, &booking("2026-11-25", "09:30")).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["booking_ref"], "DAY-20261124-001");
}

#[tokio::test]
async fn cancelled_bookings_free_their_slot() {
    let app = workshop(&[("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "1")]).await;
    let (_, first) = post_booking(&app, &booking("2026-11-24", "09:30")).await;
    assert_eq!(
        post_booking(&app, &booking("2026-11-24", "09:30")).await.0,
        409
    );
    let r = first["booking_ref"].as_str().unwrap();
    let res = app
        .client
        .post(app.url(&format!("/v1/bookings/{r}/cancel")))
        .json(&json!({"phone": "+265991234567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (status, _) = post_booking(&app, &booking("2026-11-24", "09:30")).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn lookup_needs_the_right_phone_and_reveals_nothing_otherwise() {
    let app = workshop(&[]).await;
    let (_, created) = post_booking(&app, &booking("2026-11-24", "09:30")).await;
    let r = created["booking_ref"].as_str().unwrap();

    // The phone matches in any accepted form; the ref in any case.
    let res = app
        .client
        .get(app.url(&format!("/v1/bookings/{}", r.to_lowercase())))
        .query(&[("phone", "+265 99 123 4567")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["status"], "requested");
    assert_eq!(view["can_cancel"], true);
    assert_eq!(view["history"].as_array().unwrap().len(), 1);
    assert!(view.get("customer_phone").is_none() && view.get("customer_email").is_none());

    let wrong_phone = app
        .client
        .get(app.url(&format!("/v1/bookings/{r}")))
        .query(&[("phone", "0888123456")])
        .send()
        .await
        .unwrap();
    let unknown_ref = app
        .client
        .get(app.url("/v1/bookings/DAY-20261123-999"))
        .query(&[("phone", "0991234567")])
        .send()
        .await
        .unwrap();
    let garbage = app
        .client
        .get(app.url("/v1/bookings/nonsense"))
        .send()
        .await
        .unwrap();
    let bodies = [wrong_phone, unknown_ref, garbage];
    let mut seen = Vec::new();
    for res in bodies {
        assert_eq!(res.status(), 404);
        seen.push(res.text().await.unwrap());
    }
    assert!(seen.iter().all(|b| *b == seen[0]), "{seen:?}");
}

#[tokio::test]
async fn self_cancel_works_until_check_in_then_409() {
    let app = workshop(&[]).await;
    let (_, created) = post_booking(&app, &booking("2026-11-24", "09:30")).await;
    let r = created["booking_ref"].as_str().unwrap().to_owned();
    let cancel = |phone: &'static str| {
        app.client
            .post(app.url(&format!("/v1/bookings/{r}/cancel")))
            .json(&json!({ "phone": phone }))
            .send()
    };
    assert_eq!(cancel("0888123456").await.unwrap().status(), 404);
    let res = cancel("0991234567").await.unwrap();
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["status"], "cancelled");
    assert_eq!(view["can_cancel"], false);
    assert_eq!(view["history"].as_array().unwrap().len(), 2);
    let again = cancel("0991234567").await.unwrap();
    assert_eq!(again.status(), 409);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_transition");
    assert_eq!(body["error"]["from"], "cancelled");
    assert_eq!(body["error"]["to"], "cancelled");
    assert_eq!(body["error"]["allowed"], json!([]));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE template = 'booking_cancelled'"
        )
        .await,
        2
    );

    // Once checked in, the customer can no longer cancel.
    let (_, second) = post_booking(&app, &booking("2026-11-24", "10:30")).await;
    let r2 = second["booking_ref"].as_str().unwrap().to_owned();
    let r2_sql = r2.clone();
    app.state
        .db
        .write(move |tx| -> anyhow::Result<()> {
            tx.execute(
                "UPDATE bookings SET status = 'checked_in' WHERE booking_ref = ?1",
                [r2_sql],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let res = app
        .client
        .post(app.url(&format!("/v1/bookings/{r2}/cancel")))
        .json(&json!({"phone": "0991234567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error"]["allowed"],
        json!(["in_progress", "cancelled"])
    );
}

#[tokio::test]
async fn creation_lookup_and_cancel_are_rate_limited_per_address() {
    let app = workshop(&[
        ("DAYTONA_SECURITY__BOOKINGS_PER_HOUR", "2"),
        ("DAYTONA_SECURITY__LOOKUPS_PER_HOUR", "3"),
    ])
    .await;
    for _ in 0..2 {
        assert_eq!(
            post_booking(&app, &booking("2026-11-24", "09:30")).await.0,
            201
        );
    }
    let res = app
        .client
        .post(app.url("/v1/bookings"))
        .json(&booking("2026-11-24", "10:30"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "rate_limited"
    );

    for _ in 0..3 {
        assert_eq!(
            app.get("/v1/bookings/DAY-20261123-001?phone=0991234567")
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        app.get("/v1/bookings/DAY-20261123-001?phone=0991234567")
            .await
            .status(),
        429
    );
    let res = app
        .client
        .post(app.url("/v1/bookings/DAY-20261123-001/cancel"))
        .json(&json!({"phone": "0991234567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429, "cancel shares the lookup limit");
}

#[tokio::test]
async fn honeypot_submissions_look_accepted_but_are_not_stored() {
    let app = workshop(&[]).await;
    let mut body = booking("2026-11-24", "09:30");
    body["website"] = json!("http://spam.example");
    let (status, res) = post_booking(&app, &body).await;
    assert_eq!(status, 201);
    assert!(
        res["booking_ref"]
            .as_str()
            .unwrap()
            .starts_with("DAY-20261123-")
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bookings").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notifications").await, 0);
}

#[tokio::test]
async fn an_idempotency_key_makes_a_retry_return_the_first_booking() {
    let app = workshop(&[]).await;
    let send = || {
        app.client
            .post(app.url("/v1/bookings"))
            .header("idempotency-key", "retry-123")
            .json(&booking("2026-11-24", "09:30"))
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let second = send().await.unwrap();
    assert_eq!(second.status(), 201);
    assert_eq!(second.json::<Value>().await.unwrap(), first);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bookings").await, 1);
}

pub fn multipart_booking(file: Option<(&str, Vec<u8>)>) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in [
        ("name", "Chisomo Banda"),
        ("phone", "+265888123456"),
        ("service_type", "brake_check"),
        ("preferred_date", "2026-11-24"),
        ("preferred_time", "11:30"),
        ("consent", "on"),
    ] {
        form = form.text(k, v);
    }
    if let Some((name, bytes)) = file {
        form = form.part(
            "attachment",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("image/jpeg")
                .unwrap(),
        );
    }
    form
}

pub fn small_png_with_trailing_data() -> Vec<u8> {
    let img = image::DynamicImage::new_rgb8(64, 48);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    let mut bytes = out.into_inner();
    bytes.extend_from_slice(b"appended secret");
    bytes
}

#[tokio::test]
async fn a_photo_attachment_is_checked_reencoded_and_stored() {
    let app = workshop(&[]).await;
    let res = app
        .client
        .post(app.url("/v1/bookings"))
        .multipart(multipart_booking(Some((
            "brakes.png",
            small_png_with_trailing_data(),
        ))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let (path, content_type, kind): (String, String, String) = app
        .state
        .db
        .read(|c| -> anyhow::Result<_> {
            Ok(c.query_row(
                "SELECT path, content_type, kind FROM booking_attachments",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(
        (content_type.as_str(), kind.as_str()),
        ("image/jpeg", "image")
    );
    let stored = std::fs::read(app.state.uploads.path(&path)).unwrap();
    assert_eq!(&stored[..3], &[0xFF, 0xD8, 0xFF], "re-encoded as JPEG");
    assert!(!stored.windows(15).any(|w| w == b"appended secret"));
}

async fn post_multipart(app: &TestApp, form: reqwest::multipart::Form) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/v1/bookings"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn refused_attachments_get_415_413_or_422_and_leave_nothing() {
    let app = workshop(&[]).await;
    let uploads = app.state.uploads.path("");

    // Not a kind of file we take: 415, as for a vehicle photo.
    let text = b"this is just text pretending to be a photo".to_vec();
    let (status, body) = post_multipart(&app, multipart_booking(Some(("photo.jpg", text)))).await;
    assert_eq!(status, 415, "{body}");
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("PDF"),
        "{body}"
    );

    // One byte over 5 MB, and somewhat more: a clear 413 naming the limit
    // (the body is still read, so the client hears it rather than a reset).
    for size in [daytona::upload::MAX_BYTES + 1, 6 * 1024 * 1024] {
        let mut big = small_png_with_trailing_data();
        big.resize(size, 0);
        let (status, body) = post_multipart(&app, multipart_booking(Some(("big.png", big)))).await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(body["error"]["code"], "payload_too_large");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("5 MB"),
            "{body}"
        );
    }

    // 8000 × 8000 pixels in 100 bytes: refused before decoding, naming the limit.
    let bomb = crate::vehicles::png_bomb_of(8000, 8000);
    let (status, body) = post_multipart(&app, multipart_booking(Some(("bomb.png", bomb)))).await;
    assert_eq!(status, 422, "{body}");
    let why = body["error"]["fields"]["attachment"].as_str().unwrap();
    assert!(why.contains("24 megapixels"), "{body}");

    assert_eq!(count(&app, "SELECT COUNT(*) FROM bookings").await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM booking_attachments").await,
        0
    );
    assert_eq!(files_under(&uploads), 0);
}

#[tokio::test]
async fn json_bookings_stop_at_the_json_limit_and_multipart_fields_at_theirs() {
    let app = workshop(&[]).await;
    // The multipart route's 16 MiB reading limit is not the JSON one.
    let mut body = booking("2026-11-24", "11:30");
    body["notes"] = json!("x".repeat(100 * 1024));
    let res = app
        .client
        .post(app.url("/v1/bookings"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");

    // Text fields of a multipart booking are bounded too.
    let form = multipart_booking(None).text("notes", "x".repeat(100 * 1024));
    let (status, body) = post_multipart(&app, form).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("64 KB"),
        "{body}"
    );

    // A form with two files is refused rather than held twice.
    let form = multipart_booking(Some(("a.png", small_png_with_trailing_data()))).part(
        "attachment",
        reqwest::multipart::Part::bytes(small_png_with_trailing_data()).file_name("b.png"),
    );
    assert_eq!(post_multipart(&app, form).await.0, 400);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bookings").await, 0);
}

#[tokio::test]
async fn a_full_slot_leaves_no_attachment_behind() {
    let app = workshop(&[("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "1")]).await;
    let send = || {
        app.client
            .post(app.url("/v1/bookings"))
            .multipart(multipart_booking(Some((
                "p.png",
                small_png_with_trailing_data(),
            ))))
            .send()
    };
    assert_eq!(send().await.unwrap().status(), 201);
    assert_eq!(send().await.unwrap().status(), 409);
    assert_eq!(files_under(&app.state.uploads.path("")), 1);
}
