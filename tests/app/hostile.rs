//! What real clients and hostile ones send: line breaks where a redirect
//! target goes, control and bidi characters, invalid UTF-8, bots filling
//! the honeypot. Each answer is a clear 4xx or the work done, never a 500,
//! and never a failure after the work was committed.

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::{PASSWORD, add_user, booked, browser, token};
use crate::booking_pages::confirm_form;
use crate::bookings::{booking, post_booking, workshop};
use crate::helpers::*;

#[tokio::test]
async fn a_line_break_in_the_request_key_still_shows_the_booking() {
    let app = workshop(&[]).await;
    let form = confirm_form(&[("request_key", "abc\r\nSet-Cookie: x=1"), ("consent", "on")]);
    let res = app
        .client
        .post(app.url("/book/confirm"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/book/done?ref=DAY-20261123-001&key="),
        "{location}"
    );
    assert!(res.headers().get("set-cookie").is_none());
    let (status, done) = app.page(&location).await;
    assert_eq!(status, 200);
    assert_eq!(texts(&done, ".booking-ref"), ["DAY-20261123-001"]);
    assert_eq!(db_count(&app, "SELECT COUNT(*) FROM bookings").await, 1);
}

#[tokio::test]
async fn a_line_break_in_next_signs_in_to_the_home_page() {
    let app = spawn_app().await;
    add_user(&app, "clerk@daytona.mw", "manager").await;
    let c = client();
    let page = get_page(&c, app.url("/admin/login?next=/admin/leads%0D%0AX:%201")).await;
    let csrf = input_value(&page, "csrf");
    assert_eq!(
        input_value(&page, "next"),
        "",
        "an unusable target is not carried"
    );
    for next in [
        "/admin/leads\r\nSet-Cookie: evil=1",
        "//evil.example/admin",
        "https://evil.example/",
    ] {
        let res = c
            .post(app.url("/admin/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", "clerk@daytona.mw"),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{next:?}");
        assert_eq!(res.headers()["location"], "/admin", "{next:?}");
    }
    let res = c
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "clerk@daytona.mw"),
            ("password", PASSWORD),
            ("next", "/admin/leads?status=new"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/admin/leads?status=new");
}

#[tokio::test]
async fn a_line_break_in_back_returns_to_the_booking() {
    let app = workshop(&[]).await;
    let id = booked(&app, "2026-11-24", "09:30").await;
    let (c, csrf) = browser(&app, "manager").await;
    let res = c
        .post(app.url(&format!("/admin/bookings/{id}/status")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("to", "confirmed"),
            ("back", "/admin/bookings\r\nSet-Cookie: evil=1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/admin/bookings/{id}?msg=updated").as_str()
    );
    // The change was made once.
    assert_eq!(
        db_count(
            &app,
            "SELECT COUNT(*) FROM bookings WHERE status = 'confirmed'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn control_and_bidi_characters_are_refused_by_name() {
    let app = workshop(&[]).await;
    for (field, value) in [
        ("name", "Chikondi\u{0}Banda"),
        ("name", "Chikondi\u{202E}adnaB"),
        ("name", "Two\nlines"),
        ("notes", "Brakes \u{1b}[31msqueak"),
        ("notes", "\u{2066}isolate"),
    ] {
        let mut body = booking("2026-11-24", "09:30");
        body[field] = json!(value);
        let (status, body) = post_booking(&app, &body).await;
        assert_eq!(status, 422, "{field}: {value:?}");
        assert!(body["error"]["fields"][field].is_string(), "{body}");
    }
    // Newlines are fine in notes; text is stored in NFC, trimmed.
    let mut body = booking("2026-11-24", "09:30");
    body["name"] = json!("  Chikondi Be\u{301}nda  ");
    body["notes"] = json!("Brakes squeak\r\nand the oil light is on");
    let (status, _) = post_booking(&app, &body).await;
    assert_eq!(status, 201);
    let stored: (String, String) = app
        .state
        .db
        .read(|c| -> anyhow::Result<_> {
            Ok(
                c.query_row("SELECT customer_name, notes FROM bookings", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?,
            )
        })
        .await
        .unwrap();
    assert_eq!(
        stored,
        (
            "Chikondi B\u{e9}nda".to_owned(),
            "Brakes squeak\nand the oil light is on".to_owned()
        )
    );

    // An inquiry's message, through the API and through the page form.
    let (status, body) = app
        .api(
            Method::POST,
            "/v1/inquiries",
            "",
            Some(
                json!({"type": "general", "name": "Thoko", "phone": "0991234567",
                        "message": "call me \u{202E}now", "consent": true}),
            ),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["message"].is_string());
    let res = app
        .post_form(
            "/contact",
            &[
                ("type", "general"),
                ("name", "Tho\u{7}ko"),
                ("phone", "0991234567"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(texts(&page, "p.field-error[id$='name-error']").len(), 1);
    assert_eq!(db_count(&app, "SELECT COUNT(*) FROM leads").await, 0);
}

#[tokio::test]
async fn invalid_utf8_is_a_400_and_stores_nothing() {
    let app = workshop(&[]).await;
    // A form body with a byte sequence that is not UTF-8 (%FF), as a
    // misconfigured client sends it.
    let res = app
        .client
        .post(app.url("/contact"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("type=general&name=Tho%FFko&phone=0991234567&consent=on")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .client
        .get(app.url("/vehicles?q=%C3%28"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // A multipart booking whose name is not UTF-8.
    let form = reqwest::multipart::Form::new()
        .text("consent", "on")
        .part(
            "name",
            reqwest::multipart::Part::bytes(vec![b'A', 0xFF, b'B']),
        )
        .text("phone", "0991234567")
        .text("service_type", "oil_change")
        .text("preferred_date", "2026-11-24")
        .text("preferred_time", "09:30");
    let res = app
        .client
        .post(app.url("/v1/bookings"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_utf8");
    assert_eq!(db_count(&app, "SELECT COUNT(*) FROM leads").await, 0);
    assert_eq!(db_count(&app, "SELECT COUNT(*) FROM bookings").await, 0);
}

#[tokio::test]
async fn the_honeypot_answers_like_a_real_booking_and_checks_like_one() {
    let app = workshop(&[]).await;
    let mut bot = booking("2026-11-24", "09:30");
    bot["website"] = json!("http://spam.example");
    let (status, body) = post_booking(&app, &bot).await;
    assert_eq!(status, 201);
    assert_eq!(body["preferred_date"], "2026-11-24");
    assert_eq!(body["preferred_time"], "09:30");
    assert_eq!(body["service_type"], "full_service");
    assert!(
        body["booking_ref"]
            .as_str()
            .unwrap()
            .starts_with("DAY-20261123-")
    );
    // A bot that leaves fields out hears what a person would.
    let (status, body) = post_booking(
        &app,
        &json!({"website": "x", "name": "Spam", "consent": true}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["phone"].is_string());
    assert_eq!(db_count(&app, "SELECT COUNT(*) FROM bookings").await, 0);
}

#[tokio::test]
async fn audit_entries_name_the_actor_by_id_and_email() {
    let app = workshop(&[]).await;
    let id = booked(&app, "2026-11-24", "09:30").await;
    let admin = token(&app, "admin").await;
    let (status, _) = app
        .api(
            Method::PATCH,
            &format!("/v1/admin/bookings/{id}"),
            &admin,
            Some(json!({"status": "confirmed"})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, me) = app.api(Method::GET, "/v1/auth/me", &admin, None).await;
    let (status, log) = app.api(Method::GET, "/v1/admin/audit", &admin, None).await;
    assert_eq!(status, 200);
    let actor = &log["items"][0]["actor"];
    assert_eq!(actor["id"], me["id"], "{log}");
    assert_eq!(actor["email"], me["email"]);
    assert_eq!(actor["name"], me["name"]);
    // The page shows the e-mail beside the name.
    let (c, _) = browser(&app, "admin").await;
    let page = get_page(&c, app.url("/admin/audit")).await;
    let who = texts(&page, "table.data tbody tr td:nth-child(2)").join(" ");
    assert!(who.contains(me["email"].as_str().unwrap()), "{who}");
}
