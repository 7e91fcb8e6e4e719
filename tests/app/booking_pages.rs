//! The booking pages end to end with plain form posts, as a phone without
//! JavaScript would use them.

use scraper::Html;

use crate::bookings::{small_png_with_trailing_data, workshop};
use crate::helpers::*;

async fn html(res: reqwest::Response) -> (u16, Html) {
    let status = res.status().as_u16();
    (status, Html::parse_document(&res.text().await.unwrap()))
}

/// The confirm step's multipart form: the details carried over, plus `extra`.
pub fn confirm_form(extra: &[(&str, &str)]) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in DETAILS.iter().filter(|(k, _)| *k != "step").chain(extra) {
        form = form.text(k.to_string(), v.to_string());
    }
    form
}

pub const DETAILS: &[(&str, &str)] = &[
    ("step", "review"),
    ("preferred_date", "2026-11-24"),
    ("preferred_time", "09:30"),
    ("service_type", "oil_change"),
    ("name", "Thoko Mvula"),
    ("phone", "0999 555 444"),
    ("email", ""),
    ("vehicle_reg", "ZA 9876"),
    ("notes", "Oil light on"),
    ("website", ""),
];

#[tokio::test]
async fn the_details_step_offers_only_free_slots_of_the_chosen_day() {
    let app = workshop(&[("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "1")]).await;
    let (status, _) =
        crate::bookings::post_booking(&app, &crate::bookings::booking("2026-11-24", "09:30")).await;
    assert_eq!(status, 201);

    let (status, page) = app
        .page("/book?date=2026-11-24&service_type=brake_check")
        .await;
    assert_eq!(status, 200);
    let times = attrs(&page, "input[name=preferred_time]", "value");
    assert_eq!(times.len(), 8, "{times:?}");
    assert!(
        !times.contains(&"09:30".to_owned()),
        "the full slot is not offered"
    );
    assert_eq!(
        attrs(&page, "#service_type option[selected]", "value"),
        ["brake_check"]
    );
    assert_eq!(attrs(&page, "#preferred_date", "min"), ["2026-11-23"]);
    assert_eq!(attrs(&page, "#preferred_date", "max"), ["2027-01-22"]);
    // The honeypot is there, hidden from people.
    assert_eq!(attrs(&page, ".hp input[name=website]", "tabindex"), ["-1"]);

    // Without a date: the first day that has a free slot (today's are too soon or past).
    let (_, page) = app.page("/book").await;
    assert_eq!(attrs(&page, "#preferred_date", "value"), ["2026-11-23"]);
    assert_eq!(
        attrs(&page, "input[name=preferred_time]", "value")[0],
        "10:30"
    );

    // "Show free times" for a closed day keeps what was typed.
    let (_, page) = html(
        app.post_form(
            "/book",
            &[
                ("step", "dates"),
                ("preferred_date", "2026-11-29"),
                ("name", "Thoko"),
            ],
        )
        .await,
    )
    .await;
    assert!(texts(&page, ".slots .empty")[0].contains("closed"));
    assert_eq!(input_value(&page, "name"), "Thoko");
}

#[tokio::test]
async fn errors_are_shown_next_to_the_fields_with_the_input_kept() {
    let app = workshop(&[]).await;
    let mut form = DETAILS.to_vec();
    form.retain(|(k, _)| *k != "phone" && *k != "service_type");
    form.push(("phone", "12"));
    form.push(("service_type", ""));
    let (status, page) = html(app.post_form("/book", &form).await).await;
    assert_eq!(status, 422);
    assert_eq!(texts(&page, "#phone-error").len(), 1);
    assert_eq!(texts(&page, "#service_type-error").len(), 1);
    assert_eq!(attrs(&page, "#phone", "aria-invalid"), ["true"]);
    assert_eq!(input_value(&page, "phone"), "12");
    assert_eq!(input_value(&page, "name"), "Thoko Mvula");
    assert_eq!(input_value(&page, "vehicle_reg"), "ZA 9876");
    assert_eq!(texts(&page, "#notes"), ["Oil light on"]);
    assert_eq!(
        attrs(&page, "input[name=preferred_time][checked]", "value"),
        ["09:30"]
    );
}

#[tokio::test]
async fn details_confirm_reference_then_status_and_cancel_without_javascript() {
    let app = workshop(&[]).await;

    // Details → Confirm.
    let (status, confirm) = html(app.post_form("/book", DETAILS).await).await;
    assert_eq!(status, 200);
    assert!(
        texts(&confirm, "dl.summary")
            .join(" ")
            .contains("Tue 24 Nov 09:30")
    );
    assert_eq!(
        attrs(&confirm, "form[action='/book/confirm']", "enctype"),
        ["multipart/form-data"]
    );
    let key = input_value(&confirm, "request_key");
    assert_eq!(key.len(), 64);

    // Confirm without consent: back with the message, nothing stored.
    let form = confirm_form(&[("request_key", &key)]);
    let (status, page) = html(
        app.client
            .post(app.url("/book/confirm"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(texts(&page, "#consent-error").len(), 1);

    // Confirm with consent and a photo.
    let with_photo = || {
        confirm_form(&[("request_key", &key), ("consent", "on")]).part(
            "attachment",
            reqwest::multipart::Part::bytes(small_png_with_trailing_data()).file_name("car.png"),
        )
    };
    let res = app
        .client
        .post(app.url("/book/confirm"))
        .multipart(with_photo())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!("/book/done?ref=DAY-20261123-001&key={key}")
    );

    // A double tap sends the same form again: same booking, not a second one.
    let again = app
        .client
        .post(app.url("/book/confirm"))
        .multipart(with_photo())
        .send()
        .await
        .unwrap();
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);

    // Reference step.
    let (status, done) = app.page(&location).await;
    assert_eq!(status, 200);
    assert_eq!(texts(&done, ".booking-ref"), ["DAY-20261123-001"]);
    let wa = attrs(&done, "a.btn-whatsapp", "href");
    assert!(
        wa[0].starts_with("https://wa.me/265999000000?text=") && wa[0].contains("DAY-20261123-001"),
        "{wa:?}"
    );
    assert_eq!(
        attrs(&done, "main a[href^='/booking-status']", "href"),
        ["/booking-status?ref=DAY-20261123-001"]
    );
    // Someone else's guess at the URL gets nothing.
    assert_eq!(
        app.get("/book/done?ref=DAY-20261123-001&key=guess")
            .await
            .status(),
        404
    );

    // Calendar file.
    let ics_href = attrs(&done, "a[download]", "href")[0].clone();
    let ics = app.get(&ics_href).await;
    assert_eq!(ics.status(), 200);
    assert!(
        ics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = ics.text().await.unwrap();
    assert!(
        ics.contains("DTSTART:20261124T073000Z"),
        "09:30 in Blantyre is 07:30 UTC:\n{ics}"
    );
    assert!(ics.contains("DTEND:20261124T083000Z"));
    assert!(ics.contains("UID:DAY-20261123-001@"));

    // Status page: lookup with the phone in another form.
    let (status, page) = app.page("/booking-status?ref=DAY-20261123-001").await;
    assert_eq!(status, 200);
    assert_eq!(input_value(&page, "ref"), "DAY-20261123-001");
    let (status, page) = html(
        app.post_form(
            "/booking-status",
            &[("ref", "day-20261123-001"), ("phone", "+265999555444")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(texts(&page, ".badge")[0].starts_with("Requested"));
    assert_eq!(texts(&page, "ol.history li").len(), 1);

    // Wrong phone: the form again, with one message and the input kept.
    let (status, page) = html(
        app.post_form(
            "/booking-status",
            &[("ref", "DAY-20261123-001"), ("phone", "0888000111")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(texts(&page, ".alert-error").len(), 1);
    assert_eq!(input_value(&page, "phone"), "0888000111");

    // Cancel from the status page.
    let (status, page) = html(
        app.post_form(
            "/booking-status/cancel",
            &[("ref", "DAY-20261123-001"), ("phone", "+265999555444")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(texts(&page, ".badge")[0].starts_with("Cancelled"));
    assert!(texts(&page, "form[action='/booking-status/cancel']").is_empty());
    assert_eq!(texts(&page, "ol.history li").len(), 2);
}

#[tokio::test]
async fn a_slot_taken_meanwhile_sends_the_customer_back_with_alternatives() {
    let app = workshop(&[("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "1")]).await;
    let (_, confirm) = html(app.post_form("/book", DETAILS).await).await;
    let key = input_value(&confirm, "request_key");
    // Someone else books the slot between Confirm and submit.
    assert_eq!(
        crate::bookings::post_booking(&app, &crate::bookings::booking("2026-11-24", "09:30"))
            .await
            .0,
        201
    );
    let form = confirm_form(&[("request_key", &key), ("consent", "on")]);
    let (status, page) = html(
        app.client
            .post(app.url("/book/confirm"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(texts(&page, "#preferred_time-error").len(), 1);
    assert_eq!(input_value(&page, "name"), "Thoko Mvula");
    assert!(!attrs(&page, "ul.alternatives a", "href").is_empty());
}

#[tokio::test]
async fn an_oversized_photo_on_the_confirm_step_is_refused_with_the_form_kept() {
    let app = workshop(&[]).await;
    let (_, confirm) = html(app.post_form("/book", DETAILS).await).await;
    let key = input_value(&confirm, "request_key");
    let form = confirm_form(&[("request_key", &key), ("consent", "on")]);
    let mut big = small_png_with_trailing_data();
    big.resize(6 * 1024 * 1024, 0);
    let form = form.part(
        "attachment",
        reqwest::multipart::Part::bytes(big).file_name("big.png"),
    );
    let (status, page) = html(
        app.client
            .post(app.url("/book/confirm"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 413);
    assert!(texts(&page, "#attachment-error")[0].contains("5 MB"));
    assert_eq!(input_value(&page, "name"), "Thoko Mvula");
    assert!(
        std::fs::read_dir(app.state.uploads.path("")).is_err(),
        "nothing written"
    );
}

#[tokio::test]
async fn an_unsupported_file_on_the_confirm_step_is_refused_next_to_its_field() {
    let app = workshop(&[]).await;
    let (_, confirm) = html(app.post_form("/book", DETAILS).await).await;
    let key = input_value(&confirm, "request_key");
    let form = confirm_form(&[("request_key", &key), ("consent", "on")]).part(
        "attachment",
        reqwest::multipart::Part::bytes(b"GIF89a not for us".to_vec()).file_name("car.gif"),
    );
    let (status, page) = html(
        app.client
            .post(app.url("/book/confirm"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 415);
    assert!(texts(&page, "#attachment-error")[0].contains("JPEG, PNG or WebP"));
    assert_eq!(input_value(&page, "name"), "Thoko Mvula");
    assert_eq!(db_count(&app, "SELECT COUNT(*) FROM bookings").await, 0);
}
