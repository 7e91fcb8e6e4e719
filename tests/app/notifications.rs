//! Notifications end to end: the outbox worker against a real SMTP server and
//! a fake HTTP gateway on 127.0.0.1, retries and failure, reminders exactly
//! once, lifecycle messages, the SMS switch, privacy, the admin log, resend
//! and test messages, and session cleanup.

use std::sync::Arc;

use daytona::clock::FixedClock;
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::admin::{browser, token};
use crate::bookings::{MONDAY_8AM, booking, post_booking};
use crate::fakes::{Gateway, SmtpSink, eventually};
use crate::helpers::*;

/// One outbox row.
#[derive(Debug, Clone)]
struct Row {
    channel: String,
    recipient: String,
    template: String,
    status: String,
    attempts: i64,
    error: Option<String>,
    text: String,
}

async fn outbox(app: &TestApp) -> Vec<Row> {
    app.state
        .db
        .read(|c| -> anyhow::Result<Vec<Row>> {
            let mut s = c.prepare(
                "SELECT channel, recipient, template, status, attempts, error, payload ->> 'text'
                 FROM notifications ORDER BY created_at, rowid",
            )?;
            let rows = s.query_map([], |r| {
                Ok(Row {
                    channel: r.get(0)?,
                    recipient: r.get(1)?,
                    template: r.get(2)?,
                    status: r.get(3)?,
                    attempts: r.get(4)?,
                    error: r.get(5)?,
                    text: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
        .unwrap()
}

/// Waits until every outbox row has left `queued`.
async fn all_done(app: &TestApp) -> Vec<Row> {
    eventually("the outbox to drain", || async {
        let rows = outbox(app).await;
        rows.iter().all(|r| r.status != "queued").then_some(rows)
    })
    .await
}

async fn booking_id(app: &TestApp, booking_ref: &str) -> String {
    let r = booking_ref.to_owned();
    app.state
        .db
        .read(move |c| -> anyhow::Result<String> {
            Ok(
                c.query_row("SELECT id FROM bookings WHERE booking_ref = ?1", [r], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
        .unwrap()
}

/// A new booking on Tuesday 24 November at `time`; returns (ref, id).
async fn book(app: &TestApp, body: Value) -> (String, String) {
    let (status, created) = post_booking(app, &body).await;
    assert_eq!(status, 201, "{created}");
    let r = created["booking_ref"].as_str().unwrap().to_owned();
    let id = booking_id(app, &r).await;
    (r, id)
}

async fn patch(app: &TestApp, token: &str, id: &str, body: Value) -> Value {
    let res = app
        .client
        .patch(app.url(&format!("/v1/admin/bookings/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn sms_to(gateway: &Gateway) -> (&'static str, String) {
    ("DAYTONA_SMS__BASE_URL", gateway.base.clone())
}

/// The app with Twilio SMS pointed at `gateway`.
async fn twilio(clock: &FixedClock, gateway: &Gateway) -> TestApp {
    let (k, base) = sms_to(gateway);
    workshop_with(
        clock,
        &[
            ("DAYTONA_SMS__PROVIDER", "twilio"),
            ("DAYTONA_SMS__ACCOUNT", "AC123"),
            ("DAYTONA_SMS__TOKEN", "secret-token"),
            ("DAYTONA_SMS__SENDER", "+15005550006"),
            (k, &base),
        ],
    )
    .await
}

async fn workshop_with(clock: &FixedClock, overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_with_clock(overrides, Arc::new(clock.clone())).await
}

fn monday() -> FixedClock {
    FixedClock::new(MONDAY_8AM.parse().unwrap())
}

#[tokio::test]
async fn emails_go_out_over_smtp_with_text_html_and_reply_to() {
    let sink = SmtpSink::start().await;
    let port = sink.port.to_string();
    let app = workshop_with(
        &monday(),
        &[
            ("DAYTONA_EMAIL__PROVIDER", "smtp"),
            ("DAYTONA_EMAIL__SMTP_HOST", "127.0.0.1"),
            ("DAYTONA_EMAIL__SMTP_PORT", &port),
            ("DAYTONA_EMAIL__SMTP_TLS", "none"),
            ("DAYTONA_BUSINESS__STAFF_EMAILS", "desk@daytona.mw"),
        ],
    )
    .await;
    let (booking_ref, _) = book(&app, booking("2026-11-24", "10:30")).await;
    let mails = eventually("two emails", || async {
        let m = sink.mails();
        (m.len() == 2).then_some(m)
    })
    .await;
    let customer = mails
        .iter()
        .find(|m| m.to == ["yami@example.com"])
        .expect("customer email");
    assert_eq!(customer.from, "no-reply@daytona.mw");
    let data = &customer.decoded();
    assert!(
        data.contains(&format!("Subject: Booking {booking_ref} received")),
        "{data}"
    );
    assert!(
        data.contains("Reply-To: \"Daytona Malawi\" <info@daytona.mw>")
            || data.contains("Reply-To: Daytona Malawi <info@daytona.mw>"),
        "{data}"
    );
    assert!(data.contains("Content-Type: text/plain") && data.contains("Content-Type: text/html"));
    assert!(
        data.contains("Dear Yamikani Phiri") && data.contains("<p>Dear Yamikani Phiri,</p>"),
        "{data}"
    );
    let staff = mails
        .iter()
        .find(|m| m.to == ["desk@daytona.mw"])
        .expect("staff email");
    assert!(staff.data.contains(&booking_ref));
    let rows = all_done(&app).await;
    let email_rows: Vec<_> = rows.iter().filter(|r| r.channel == "email").collect();
    assert_eq!(email_rows.len(), 2);
    assert!(
        email_rows
            .iter()
            .all(|r| r.status == "sent" && r.attempts == 1)
    );
}

#[tokio::test]
async fn twilio_gets_its_api_shape() {
    let gateway = Gateway::start().await;
    let app = twilio(&monday(), &gateway).await;
    let (booking_ref, _) = book(&app, booking("2026-11-24", "10:30")).await;
    let req = eventually("one SMS", || async { gateway.requests().pop() }).await;
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/2010-04-01/Accounts/AC123/Messages.json");
    assert_eq!(
        req.headers["authorization"],
        "Basic QUMxMjM6c2VjcmV0LXRva2Vu"
    );
    let form = req.form();
    assert_eq!(form["To"], "+265991234567");
    assert_eq!(form["From"], "+15005550006");
    assert!(form["Body"].contains(&booking_ref) && form["Body"].contains("+265 999 000 000"));
    assert!(form["Body"].len() <= 160);
    let rows = all_done(&app).await;
    assert!(rows.iter().all(|r| r.status == "sent"), "{rows:?}");
}

#[tokio::test]
async fn africas_talking_gets_its_api_shape() {
    let gateway = Gateway::start().await;
    let (k, base) = sms_to(&gateway);
    let app = workshop_with(
        &monday(),
        &[
            ("DAYTONA_SMS__PROVIDER", "africastalking"),
            ("DAYTONA_SMS__ACCOUNT", "daytona"),
            ("DAYTONA_SMS__TOKEN", "at-key"),
            ("DAYTONA_SMS__SENDER", "DAYTONA"),
            (k, &base),
        ],
    )
    .await;
    let (booking_ref, _) = book(&app, booking("2026-11-24", "10:30")).await;
    let req = eventually("one SMS", || async { gateway.requests().pop() }).await;
    assert_eq!(req.path, "/version1/messaging");
    assert_eq!(req.headers["apikey"], "at-key");
    let form = req.form();
    assert_eq!(form["username"], "daytona");
    assert_eq!(form["to"], "+265991234567");
    assert_eq!(form["from"], "DAYTONA");
    assert!(form["message"].contains(&booking_ref));
    let rows = all_done(&app).await;
    assert!(rows.iter().all(|r| r.status == "sent"), "{rows:?}");
}

#[tokio::test]
async fn the_generic_gateway_gets_the_body_template_and_headers() {
    let gateway = Gateway::start().await;
    let url = format!("{}/send", gateway.base);
    let app = workshop_with(
        &monday(),
        &[
            ("DAYTONA_SMS__PROVIDER", "http"),
            ("DAYTONA_SMS__HTTP_URL", &url),
            ("DAYTONA_SMS__HTTP_HEADERS", "X-Api-Key: k-123"),
            ("DAYTONA_SMS__SENDER", "DAYTONA"),
            ("DAYTONA_BUSINESS__STAFF_PHONES", "+265888000111"),
        ],
    )
    .await;
    let (booking_ref, _) = book(&app, booking("2026-11-24", "10:30")).await;
    let reqs = eventually("two SMS", || async {
        let r = gateway.requests();
        (r.len() == 2).then_some(r)
    })
    .await;
    let bodies: Vec<Value> = reqs.iter().map(|r| r.json()).collect();
    for r in &reqs {
        assert_eq!(r.path, "/send");
        assert_eq!(r.headers["x-api-key"], "k-123");
        assert_eq!(r.headers["content-type"], "application/json");
    }
    let customer = bodies.iter().find(|b| b["to"] == "+265991234567").unwrap();
    assert_eq!(customer["from"], "DAYTONA");
    assert!(customer["message"].as_str().unwrap().contains(&booking_ref));
    let staff = bodies.iter().find(|b| b["to"] == "+265888000111").unwrap();
    assert!(
        staff["message"]
            .as_str()
            .unwrap()
            .starts_with("New booking")
    );
}

#[tokio::test]
async fn whatsapp_cloud_api_carries_the_test_message() {
    let gateway = Gateway::start().await;
    let app = workshop_with(
        &monday(),
        &[
            ("DAYTONA_WHATSAPP__PROVIDER", "cloud_api"),
            ("DAYTONA_WHATSAPP__TOKEN", "wa-token"),
            ("DAYTONA_WHATSAPP__PHONE_NUMBER_ID", "1055"),
            ("DAYTONA_WHATSAPP__BASE_URL", &gateway.base),
        ],
    )
    .await;
    let t = token(&app, "manager").await;
    let res = app
        .client
        .post(app.url("/v1/admin/notifications/test"))
        .bearer_auth(&t)
        .json(&json!({"channel": "whatsapp", "to": "0991 234 567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let queued: Value = res.json().await.unwrap();
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["recipient"], "+265991234567");
    let req = eventually("one WhatsApp message", || async {
        gateway.requests().pop()
    })
    .await;
    assert_eq!(req.path, "/v21.0/1055/messages");
    assert_eq!(req.headers["authorization"], "Bearer wa-token");
    let body = req.json();
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["to"], "265991234567");
    assert!(
        body["text"]["body"]
            .as_str()
            .unwrap()
            .contains("test message")
    );
}

#[tokio::test]
async fn a_failing_gateway_is_retried_then_failed_without_holding_up_the_booking() {
    let gateway = Gateway::start().await;
    gateway.answer_with(500);
    let clock = monday();
    let app = twilio(&clock, &gateway).await;
    // The gateway sits on the first SMS: the booking is answered regardless.
    gateway.hold();
    let (status, _) = post_booking(&app, &booking("2026-11-24", "10:30")).await;
    assert_eq!(status, 201);
    eventually("the SMS in flight", || async { gateway.requests().pop() }).await;
    gateway.release();
    let sms = || async {
        outbox(&app)
            .await
            .into_iter()
            .find(|r| r.channel == "sms")
            .unwrap()
    };
    for attempt in 1..=8 {
        let row = eventually("the next attempt", || async {
            let r = sms().await;
            (r.attempts == attempt && r.error.is_some()).then_some(r)
        })
        .await;
        assert!(row.error.as_deref().unwrap().contains("500"), "{row:?}");
        if attempt < 8 {
            assert_eq!(row.status, "queued");
            // Nothing is retried before its backoff has passed.
            app.state.wake_outbox();
            assert_eq!(gateway.requests().len(), attempt as usize);
            clock.advance(SignedDuration::from_hours(3));
            app.state.wake_outbox();
        }
    }
    let row = eventually("failed", || async {
        let r = sms().await;
        (r.status == "failed").then_some(r)
    })
    .await;
    assert_eq!(row.attempts, 8);
    assert_eq!(gateway.requests().len(), 8);
    // The booking itself is untouched, and the email went out (log provider).
    let rows = outbox(&app).await;
    assert!(
        rows.iter()
            .any(|r| r.channel == "email" && r.status == "sent")
    );
}

#[tokio::test]
async fn a_refused_message_fails_at_once_and_can_be_resent() {
    let gateway = Gateway::start().await;
    gateway.answer_with(400);
    let app = twilio(&monday(), &gateway).await;
    book(&app, booking("2026-11-24", "10:30")).await;
    let rows = all_done(&app).await;
    let failed = rows.iter().find(|r| r.channel == "sms").unwrap();
    assert_eq!((failed.status.as_str(), failed.attempts), ("failed", 1));

    let t = token(&app, "manager").await;
    let list = |q: &'static str| {
        let (app, t) = (&app, &t);
        async move {
            let res = app
                .client
                .get(app.url(&format!("/v1/admin/notifications{q}")))
                .bearer_auth(t)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let (status, page) = list("?status=failed&channel=sms").await;
    assert_eq!(status, 200);
    assert_eq!(page["total"], 1);
    let item = &page["items"][0];
    assert_eq!(item["recipient"], "+265991234567");
    assert!(item["error"].as_str().unwrap().contains("400"));
    assert!(item["text"].as_str().unwrap().contains("received"));
    assert_eq!(list("?status=sent").await.1["total"], 1, "the email");
    assert_eq!(
        list("?per_page=1").await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(list("?status=lost").await.0, 422);
    assert_eq!(list("?channel=pigeon").await.0, 422);

    gateway.answer_with(201);
    let id = item["id"].as_str().unwrap();
    let resend = |id: String| {
        let (app, t) = (&app, &t);
        async move {
            app.client
                .post(app.url(&format!("/v1/admin/notifications/{id}/resend")))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(resend(id.to_owned()).await, 202);
    let rows = all_done(&app).await;
    let sms = rows.iter().find(|r| r.channel == "sms").unwrap();
    assert_eq!((sms.status.as_str(), sms.attempts), ("sent", 1));
    assert_eq!(gateway.requests().len(), 2);
    assert_eq!(resend(id.to_owned()).await, 409, "already sent");
    assert_eq!(resend("nope".into()).await, 404);

    // Technicians do not see the log.
    let tech = token(&app, "technician").await;
    let res = app
        .client
        .get(app.url("/v1/admin/notifications"))
        .bearer_auth(&tech)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_log_page_filters_shows_and_resends_with_csrf_and_audit() {
    let gateway = Gateway::start().await;
    gateway.answer_with(400);
    let app = twilio(&monday(), &gateway).await;
    let (booking_ref, booking) = book(&app, booking("2026-11-24", "10:30")).await;
    all_done(&app).await;
    let (c, csrf) = browser(&app, "manager").await;
    let page = get_page(&c, app.url("/admin/notifications?status=failed")).await;
    let links = attrs(&page, "table.notifications a", "href");
    assert_eq!(links.len(), 1);
    assert!(texts(&page, "nav a").contains(&"Notifications".to_owned()));
    let detail = get_page(&c, app.url(&links[0])).await;
    assert!(texts(&detail, "pre.message-text")[0].contains(&booking_ref));
    assert!(texts(&detail, "form button").contains(&"Resend".to_owned()));
    let resend_url = app.url(&format!("{}/resend", links[0]));
    let res = c
        .post(&resend_url)
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    gateway.answer_with(201);
    let res = c
        .post(&resend_url)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let rows = all_done(&app).await;
    assert!(rows.iter().all(|r| r.status == "sent"), "{rows:?}");
    let audited = app
        .state
        .db
        .read(|c| -> anyhow::Result<i64> {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM audit_logs WHERE action = 'notification.resend'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(audited, 1);
    // The booking's page links each of its messages.
    let detail = get_page(&c, app.url(&format!("/admin/bookings/{booking}"))).await;
    let message_links: Vec<String> = attrs(&detail, "a", "href")
        .into_iter()
        .filter(|h| h.starts_with("/admin/notifications/"))
        .collect();
    assert_eq!(message_links.len(), 2, "SMS and email");
    assert!(message_links.contains(&links[0]));
    let res = c
        .get(app.url("/admin/notifications?status=bogus"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn the_test_endpoint_checks_channel_and_recipient() {
    let app = workshop_with(&monday(), &[]).await;
    let t = token(&app, "manager").await;
    let send = |body: Value| {
        let (app, t) = (&app, &t);
        async move {
            let res = app
                .client
                .post(app.url("/v1/admin/notifications/test"))
                .bearer_auth(t)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let cases = [
        (json!({"channel": "pigeon", "to": "0991234567"}), "channel"),
        (
            json!({"channel": "whatsapp", "to": "0991234567"}),
            "channel",
        ),
        (json!({"channel": "sms", "to": "12"}), "to"),
        (json!({"channel": "email", "to": "not an email"}), "to"),
    ];
    for (body, field) in cases {
        let (status, err) = send(body.clone()).await;
        assert_eq!(status, 422, "{body}");
        assert!(err["error"]["fields"][field].is_string(), "{body}: {err}");
    }
    let (status, _) = send(json!({"channel": "sms"})).await;
    assert_eq!(status, 422, "missing field");
    for body in [
        json!({"channel": "sms", "to": "0991 234 567"}),
        json!({"channel": "email", "to": "owner@daytona.mw"}),
    ] {
        let (status, row) = send(body).await;
        assert_eq!(status, 202);
        assert_eq!(row["template"], "test");
    }
    let rows = all_done(&app).await;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.status == "sent"));
}

#[tokio::test]
async fn the_settings_page_sends_a_test_message_per_configured_channel() {
    let app = workshop_with(&monday(), &[]).await;
    let (c, csrf) = browser(&app, "admin").await;
    let page = get_page(&c, app.url("/admin/settings")).await;
    let channels = attrs(&page, "#test-message input[name=channel]", "value");
    assert_eq!(channels, ["email", "sms"], "WhatsApp is off by default");
    let res = c
        .post(app.url("/admin/settings/test-message"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("channel", "sms"),
            ("to", "0881 234 567"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/settings?msg=test_queued");
    let res = c
        .post(app.url("/admin/settings/test-message"))
        .form(&[("csrf", csrf.as_str()), ("channel", "sms"), ("to", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        "/admin/settings?msg=test_invalid_to"
    );
    let rows = all_done(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].recipient, "+265881234567");
    // Managers may not use the settings page.
    let (m, m_csrf) = browser(&app, "manager").await;
    let res = m
        .post(app.url("/admin/settings/test-message"))
        .form(&[
            ("csrf", m_csrf.as_str()),
            ("channel", "sms"),
            ("to", "0881 234 567"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn every_status_change_queues_the_customers_message() {
    let app = workshop_with(&monday(), &[]).await;
    let t = token(&app, "manager").await;
    let (booking_ref, id) = book(&app, booking("2026-11-24", "10:30")).await;
    patch(&app, &t, &id, json!({"status": "confirmed"})).await;
    patch(
        &app,
        &t,
        &id,
        json!({"preferred_date": "2026-11-25", "preferred_time": "09:30"}),
    )
    .await;
    for step in ["checked_in", "in_progress", "completed"] {
        patch(&app, &t, &id, json!({ "status": step })).await;
    }
    let rows = all_done(&app).await;
    let sms: Vec<&Row> = rows
        .iter()
        .filter(|r| r.channel == "sms" && r.recipient == "+265991234567")
        .collect();
    let templates: Vec<&str> = sms.iter().map(|r| r.template.as_str()).collect();
    assert_eq!(
        templates,
        [
            "booking_received",
            "booking_confirmed",
            "booking_rescheduled",
            "booking_checked_in",
            "booking_completed"
        ]
    );
    assert!(sms[2].text.contains("Wed 25 Nov 09:30"), "{}", sms[2].text);
    assert!(sms[4].text.contains("ready for pickup"));
    for r in &sms {
        assert!(r.text.contains(&booking_ref) && r.text.contains("+265 999 000 000"));
        assert!(r.text.len() <= 160 && r.text.is_ascii(), "{}", r.text);
    }
    let emails: Vec<&str> = rows
        .iter()
        .filter(|r| r.channel == "email")
        .map(|r| r.template.as_str())
        .collect();
    assert_eq!(emails.len(), 5, "{emails:?}");

    // The customer's own cancel notifies too.
    let (other_ref, _) = book(&app, booking("2026-11-24", "11:30")).await;
    let res = app
        .client
        .post(app.url(&format!("/v1/bookings/{other_ref}/cancel")))
        .json(&json!({"phone": "0991234567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rows = all_done(&app).await;
    assert_eq!(
        rows.iter()
            .filter(|r| r.template == "booking_cancelled")
            .count(),
        2
    );
}

#[tokio::test]
async fn the_sms_switch_is_honoured() {
    let app = workshop_with(&monday(), &[]).await;
    let t = token(&app, "manager").await;
    let (_, id) = book(&app, booking("2026-11-24", "10:30")).await;
    patch(&app, &t, &id, json!({"sms_enabled": false})).await;
    patch(&app, &t, &id, json!({"status": "confirmed"})).await;
    let rows = all_done(&app).await;
    let confirmed: Vec<&str> = rows
        .iter()
        .filter(|r| r.template == "booking_confirmed")
        .map(|r| r.channel.as_str())
        .collect();
    assert_eq!(confirmed, ["email"]);
}

#[tokio::test]
async fn no_message_holds_another_customers_data() {
    let app = workshop_with(
        &monday(),
        &[("DAYTONA_BUSINESS__STAFF_EMAILS", "desk@daytona.mw")],
    )
    .await;
    let t = token(&app, "manager").await;
    let mut second = booking("2026-11-24", "10:30");
    second["name"] = json!("Thoko Mwale");
    second["phone"] = json!("0888 765 432");
    second["email"] = json!("thoko@example.com");
    second["vehicle_reg"] = json!("zz 9876");
    let (ref_a, id_a) = book(&app, booking("2026-11-24", "10:30")).await;
    let (ref_b, id_b) = book(&app, second).await;
    for id in [&id_a, &id_b] {
        patch(&app, &t, id, json!({"status": "confirmed"})).await;
    }
    let customers = [
        (
            ["+265991234567", "yami@example.com"],
            [ref_a.as_str(), "Yamikani", "BT 1234"],
        ),
        (
            ["+265888765432", "thoko@example.com"],
            [ref_b.as_str(), "Thoko", "ZZ 9876"],
        ),
    ];
    let rows = all_done(&app).await;
    for (i, (addresses, own)) in customers.iter().enumerate() {
        let (_, others) = &customers[1 - i];
        let mine: Vec<&Row> = rows
            .iter()
            .filter(|r| addresses.contains(&r.recipient.as_str()))
            .collect();
        assert_eq!(mine.len(), 4, "received + confirmed, SMS + email");
        for r in mine {
            assert!(r.text.contains(own[0]), "{}", r.text);
            for theirs in others.iter().chain(customers[1 - i].0.iter()) {
                assert!(!r.text.contains(theirs), "{} leaks {theirs}", r.text);
            }
        }
    }
}

#[tokio::test]
async fn a_reminder_goes_out_once_despite_overlapping_runs_and_a_restart() {
    let clock = monday();
    let app = workshop_with(&clock, &[("DAYTONA_REMINDERS__HOURS_BEFORE", "24")]).await;
    let t = token(&app, "manager").await;
    // Tuesday 10:30 is 26.5 h away; the unconfirmed 11:30 gets no reminder.
    let (booking_ref, id) = book(&app, booking("2026-11-24", "10:30")).await;
    book(&app, booking("2026-11-24", "11:30")).await;
    patch(&app, &t, &id, json!({"status": "confirmed"})).await;
    daytona::ops::jobs::send_reminders(app.state.clone())
        .await
        .unwrap();
    assert!(reminders(&app).await.is_empty(), "not yet within 24 h");

    clock.advance(SignedDuration::from_hours(3));
    let (a, b) = tokio::join!(
        daytona::ops::jobs::send_reminders(app.state.clone()),
        daytona::ops::jobs::send_reminders(app.state.clone()),
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let sent = reminders(&app).await;
    assert_eq!(sent.len(), 2, "one SMS and one email: {sent:?}");
    assert!(sent.iter().all(|r| r.text.contains(&booking_ref)));

    let app = app.restart().await;
    let t = token(&app, "manager").await;
    clock.advance(SignedDuration::from_mins(5));
    assert_eq!(
        daytona::ops::jobs::send_reminders(app.state.clone())
            .await
            .unwrap(),
        0
    );
    all_done(&app).await;
    let sent = reminders(&app).await;
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|r| r.status == "sent"));

    // Moving the booking arms the reminder again, for the new time.
    patch(
        &app,
        &t,
        &id,
        json!({"preferred_date": "2026-11-24", "preferred_time": "09:30"}),
    )
    .await;
    assert_eq!(
        daytona::ops::jobs::send_reminders(app.state.clone())
            .await
            .unwrap(),
        1
    );
    let sent = reminders(&app).await;
    assert_eq!(sent.len(), 4);
    assert!(
        sent[2..]
            .iter()
            .all(|r| r.text.contains("Tue 24 Nov 09:30"))
    );
}

async fn reminders(app: &TestApp) -> Vec<Row> {
    outbox(app)
        .await
        .into_iter()
        .filter(|r| r.template == "booking_reminder")
        .collect()
}

#[tokio::test]
async fn shutdown_lets_the_message_in_flight_finish() {
    let gateway = Gateway::start().await;
    gateway.delay(700);
    let app = twilio(&monday(), &gateway).await;
    book(&app, booking("2026-11-24", "10:30")).await;
    eventually("the SMS to be in flight", || async {
        gateway.requests().pop()
    })
    .await;
    let state = app.state.clone();
    app.stop().await;
    let status = state
        .db
        .read(|c| -> anyhow::Result<String> {
            Ok(c.query_row(
                "SELECT status FROM notifications WHERE channel = 'sms'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(status, "sent");
}

#[tokio::test]
async fn session_cleanup_removes_expired_sessions() {
    let clock = monday();
    let app = workshop_with(&clock, &[]).await;
    let t = token(&app, "manager").await;
    let me = |t: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/v1/auth/me"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(me(t.clone()).await, 200);
    assert_eq!(
        daytona::ops::jobs::purge_expired_sessions(app.state.clone())
            .await
            .unwrap(),
        0
    );
    clock.advance(SignedDuration::from_hours(13));
    assert!(
        daytona::ops::jobs::purge_expired_sessions(app.state.clone())
            .await
            .unwrap()
            >= 1
    );
    let left = app
        .state
        .db
        .read(|c| -> anyhow::Result<i64> {
            Ok(c.query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))?)
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(me(t).await, 401);
}
