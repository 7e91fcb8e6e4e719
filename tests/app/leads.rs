//! Inquiries and leads: the public API and forms, validation, the staff
//! notification, and the follow-up with its first-contact time.

use std::sync::Arc;

use daytona::clock::FixedClock;
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::admin::{browser, token};
use crate::helpers::*;
use crate::vehicles::{Staff, hilux};

async fn inquire(app: &TestApp, body: Value) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/v1/inquiries"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn staff_messages(app: &TestApp, lead_id: &str) -> Vec<(String, String, String)> {
    let id = lead_id.to_owned();
    app.state
        .db
        .read(move |c| -> anyhow::Result<_> {
            Ok(c.prepare("SELECT channel, recipient, payload FROM notifications WHERE lead_id = ?1 AND template = 'new_lead'")?
                .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
        .unwrap()
}

const NOW: &str = "2026-11-24T07:00:00Z";

async fn dealership() -> TestApp {
    let clock = Arc::new(FixedClock::new(NOW.parse().unwrap()));
    spawn_app_with_clock(
        &[
            ("DAYTONA_BUSINESS__STAFF_EMAILS", "sales@daytona.mw"),
            ("DAYTONA_BUSINESS__STAFF_PHONES", "+265888000111"),
        ],
        clock,
    )
    .await
}

#[tokio::test]
async fn every_kind_of_inquiry_becomes_a_lead_and_tells_staff() {
    let app = dealership().await;
    let staff = Staff::new(&app).await;
    let v = staff.create(hilux()).await;
    let vid = v["id"].as_str().unwrap();

    for (kind, extra) in [
        ("price_request", json!({})),
        (
            "test_drive_request",
            json!({"preferred_date": "2026-11-26"}),
        ),
        ("general", json!({"message": "Do you take trade-ins?"})),
    ] {
        let mut body = json!({
            "vehicle_id": vid, "name": "Chikondi Banda", "phone": "0991 234 567",
            "type": kind, "consent": true,
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, created) = inquire(&app, body).await;
        assert_eq!(status, 201, "{kind}: {created}");
        assert_eq!(created["status"], "new");
        let msgs = staff_messages(&app, created["id"].as_str().unwrap()).await;
        assert_eq!(msgs.len(), 2, "email and SMS to staff");
        assert!(
            msgs.iter()
                .any(|(ch, to, _)| ch == "email" && to == "sales@daytona.mw")
        );
        assert!(
            msgs.iter()
                .any(|(ch, to, _)| ch == "sms" && to == "+265888000111")
        );
        assert!(msgs[0].2.contains("2018 Toyota Hilux") && msgs[0].2.contains("+265991234567"));
    }
    // A general inquiry needs no vehicle, and an email will do.
    let (status, _) = inquire(&app, json!({"name": "Tiwonge", "email": "t@example.com", "type": "general", "consent": true, "message": "Call me"})).await;
    assert_eq!(status, 201);

    let mgr = token(&app, "manager").await;
    let leads: Value = app
        .client
        .get(app.url("/v1/admin/leads"))
        .bearer_auth(&mgr)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(leads["total"], 4);
    assert_eq!(
        leads["items"][1]["vehicle_title"],
        "2018 Toyota Hilux 2.8 GD-6"
    );
    let drive = leads["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["type"] == "test_drive_request")
        .unwrap();
    assert_eq!(drive["preferred_date"], "2026-11-26");
    assert_eq!(drive["phone"], "+265991234567");
    for (query, total) in [
        ("type=price_request", 1),
        (&format!("vehicle_id={vid}") as &str, 3),
        ("status=new", 4),
        ("status=closed", 0),
        ("date_from=2026-11-24&date_to=2026-11-24", 4),
        ("date_from=2026-11-25", 0),
    ] {
        let page: Value = app
            .client
            .get(app.url(&format!("/v1/admin/leads?{query}")))
            .bearer_auth(&mgr)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], total, "{query}");
    }
}

#[tokio::test]
async fn bad_inquiries_are_explained() {
    let app = dealership().await;
    let (status, body) = inquire(&app, json!({"type": "price_request", "name": ""})).await;
    assert_eq!(status, 422);
    let fields = body["error"]["fields"].as_object().unwrap();
    for f in ["name", "phone", "consent"] {
        assert!(fields.contains_key(f), "{f}: {body}");
    }
    let (status, body) = inquire(&app, json!({"type": "haggle", "name": "A", "phone": "12", "email": "nope", "consent": true, "preferred_date": "2026-01-01"})).await;
    assert_eq!(status, 422);
    for f in ["type", "phone", "email"] {
        assert!(body["error"]["fields"].get(f).is_some(), "{f}: {body}");
    }
    let (status, body) = inquire(&app, json!({"type": "test_drive_request", "name": "A", "phone": "0991234567", "consent": true, "preferred_date": "2026-11-01"})).await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"].get("preferred_date").is_some());
    let (status, body) = inquire(&app, json!({"vehicle_id": "01a20b6a-0000-7000-8000-000000000000", "type": "general", "name": "A", "phone": "0991234567", "consent": true})).await;
    assert_eq!(status, 404, "{body}");
    let res = app
        .client
        .post(app.url("/v1/inquiries"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // The honeypot gets a plausible answer and stores nothing.
    let (status, _) = inquire(&app, json!({"type": "general", "name": "Bot", "phone": "0991234567", "consent": true, "website": "http://spam"})).await;
    assert_eq!(status, 201);
    assert_eq!(db_count(&app, "SELECT COUNT(*) FROM leads").await, 0);
}

#[tokio::test]
async fn inquiries_are_rate_limited() {
    let app = spawn_app_with(&[("DAYTONA_SECURITY__INQUIRIES_PER_HOUR", "2")]).await;
    let body = json!({"type": "general", "name": "A", "phone": "0991234567", "consent": true});
    assert_eq!(inquire(&app, body.clone()).await.0, 201);
    assert_eq!(inquire(&app, body.clone()).await.0, 201);
    let res = app
        .client
        .post(app.url("/v1/inquiries"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn the_vehicle_page_forms_keep_input_and_thank_the_visitor() {
    let app = dealership().await;
    let staff = Staff::new(&app).await;
    let v = staff.create(hilux()).await;
    let path = v["url"].as_str().unwrap().to_owned();
    let action = format!("/vehicles/{}/inquire", v["id"].as_str().unwrap());

    let res = app
        .post_form(
            &action,
            &[
                ("type", "test_drive_request"),
                ("name", "Chikondi"),
                ("phone", "12"),
                ("preferred_date", "2026-11-27"),
                ("message", "Saturday?"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(
        attrs(&page, "#inquire-test_drive_request", "open"),
        [""],
        "the form with errors is open"
    );
    assert_eq!(
        attrs(&page, "#test_drive_request-name", "value"),
        ["Chikondi"]
    );
    assert_eq!(
        attrs(&page, "#test_drive_request-preferred_date", "value"),
        ["2026-11-27"]
    );
    assert_eq!(texts(&page, "#test_drive_request-message"), ["Saturday?"]);
    let errors = texts(&page, "#inquire-test_drive_request .field-error");
    assert_eq!(errors.len(), 2, "phone and consent: {errors:?}");

    let res = app
        .post_form(
            &action,
            &[
                ("type", "test_drive_request"),
                ("name", "Chikondi"),
                ("phone", "0991234567"),
                ("preferred_date", "2026-11-27"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let thanks = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(thanks.starts_with(&path));
    let (_, page) = app.page(&thanks).await;
    assert!(texts(&page, ".notice-success")[0].contains("test drive"));

    // The honeypot: thanked, not stored.
    let res = app
        .post_form(
            &action,
            &[
                ("type", "general"),
                ("name", "Bot"),
                ("phone", "0991234567"),
                ("consent", "on"),
                ("website", "x"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(db_count(&app, "SELECT COUNT(*) FROM leads").await, 1);
    assert_eq!(
        app.post_form("/vehicles/nope/inquire", &[("type", "general")])
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn staff_follow_a_lead_from_new_to_closed() {
    let clock = Arc::new(FixedClock::new(NOW.parse().unwrap()));
    // Staff stay signed in across the hours this test skips.
    let app = spawn_app_with_clock(
        &[("DAYTONA_SECURITY__SESSION_IDLE_MINUTES", "600")],
        clock.clone(),
    )
    .await;
    let (status, created) = inquire(&app, json!({"type": "price_request", "name": "Chikondi", "phone": "0991234567", "consent": true})).await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();

    // The dashboard shows it as pending.
    let (c, csrf) = browser(&app, "manager").await;
    let dash = get_page(&c, app.url("/admin")).await;
    assert!(texts(&dash, ".pending-leads a").contains(&"Chikondi".to_owned()));

    let page = get_page(&c, app.url(&format!("/admin/leads/{id}"))).await;
    assert_eq!(
        attrs(&page, "a[href^='tel:']", "href"),
        ["tel:+265991234567"]
    );
    assert!(attrs(&page, "a[href^='https://wa.me/265991234567']", "href").len() == 1);
    let list = get_page(&c, app.url("/admin/leads?status=new")).await;
    assert!(texts(&list, "td a").contains(&"Chikondi".to_owned()));

    clock.advance(SignedDuration::from_hours(3));
    let res = c
        .post(app.url(&format!("/admin/leads/{id}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("status", "contacted"),
            ("note", "Sent price by WhatsApp"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("msg=saved"),
        "{:?}",
        res.headers()
    );

    let mgr = token(&app, "manager").await;
    let lead = |app: &TestApp, mgr: String| {
        let url = app.url("/v1/admin/leads");
        let client = app.client.clone();
        async move {
            let page: Value = client
                .get(url)
                .bearer_auth(mgr)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            page["items"][0].clone()
        }
    };
    let l = lead(&app, mgr.clone()).await;
    assert_eq!(l["status"], "contacted");
    assert_eq!(l["note"], "Sent price by WhatsApp");
    assert_eq!(l["contacted_at"], "2026-11-24T10:00:00.000Z");

    // Closing later does not move the first-contact time.
    clock.advance(SignedDuration::from_hours(24));
    let mgr = token(&app, "manager").await;
    let (status, _) = app
        .api(
            reqwest::Method::PATCH,
            &format!("/v1/admin/leads/{id}"),
            &mgr,
            Some(json!({"status": "closed"})),
        )
        .await;
    assert_eq!(status, 200);
    let l = lead(&app, mgr.clone()).await;
    assert_eq!(l["status"], "closed");
    assert_eq!(l["contacted_at"], "2026-11-24T10:00:00.000Z");
    assert_eq!(
        l["note"], "Sent price by WhatsApp",
        "a status change keeps the note"
    );

    let (status, body) = app
        .api(
            reqwest::Method::PATCH,
            &format!("/v1/admin/leads/{id}"),
            &mgr,
            Some(json!({"status": "new"})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "invalid_transition");
    assert_eq!(body["error"]["allowed"], json!(["contacted"]));

    let (status, _) = app
        .api(
            reqwest::Method::PATCH,
            &format!("/v1/admin/leads/{id}"),
            &mgr,
            Some(json!({"status": "lost"})),
        )
        .await;
    assert_eq!(status, 422);

    let tech = token(&app, "technician").await;
    let (status, _) = app
        .api(reqwest::Method::GET, "/v1/admin/leads", &tech, None)
        .await;
    assert_eq!(status, 403);

    let audit: Value = app
        .client
        .get(app.url("/v1/admin/audit"))
        .bearer_auth(&mgr)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lead_changes = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "lead.update")
        .count();
    assert_eq!(lead_changes, 2);
}

#[tokio::test]
async fn the_contact_page_takes_a_call_back_request() {
    let app = dealership().await;
    let (status, page) = app.page("/contact").await;
    assert_eq!(status, 200);
    assert_eq!(attrs(&page, "#call-back form", "action"), ["/contact"]);
    let res = app
        .post_form(
            "/contact",
            &[("type", "general"), ("name", "Tiwonge"), ("phone", "")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(attrs(&page, "#general-name", "value"), ["Tiwonge"]);
    assert!(!texts(&page, "#call-back .field-error").is_empty());
    let res = app
        .post_form(
            "/contact",
            &[
                ("type", "general"),
                ("name", "Tiwonge"),
                ("phone", "0888 123 456"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = app.page(res.headers()["location"].to_str().unwrap()).await;
    assert!(!texts(&page, ".notice-success").is_empty());
    assert_eq!(
        db_count(&app, "SELECT COUNT(*) FROM leads WHERE vehicle_id IS NULL").await,
        1
    );
}
