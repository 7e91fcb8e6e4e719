//! Staff admin: API sign-in, throttling, tokens, roles, CSRF, the allowlist,
//! the booking lifecycle, reschedule, CSV and audit.

use std::sync::Arc;

use daytona::clock::FixedClock;
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::bookings::{MONDAY_8AM, booking, post_booking};
use crate::helpers::*;

pub const PASSWORD: &str = "workshop password 1";

/// Creates a staff user straight in the database.
pub async fn add_user(app: &TestApp, email: &str, role: &str) -> String {
    let hash = daytona::auth::password::hash(PASSWORD).unwrap();
    let (email, role) = (email.to_owned(), role.to_owned());
    app.state
        .db
        .write(move |tx| -> anyhow::Result<String> {
            let id = daytona::db::new_id();
            tx.execute(
                "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 't', 't')",
                rusqlite::params![id, email, format!("{role} user"), role, hash],
            )?;
            Ok(id)
        })
        .await
        .unwrap()
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// A bearer token for a new user of `role`.
pub async fn token(app: &TestApp, role: &str) -> String {
    let email = format!("{role}-{}@daytona.mw", rand_suffix());
    add_user(app, &email, role).await;
    let res = login(app, &email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn rand_suffix() -> String {
    daytona::db::new_id()[24..].to_owned()
}

/// A browser signed in as a new user of `role`, and its session CSRF token.
pub async fn browser(app: &TestApp, role: &str) -> (reqwest::Client, String) {
    let email = format!("{role}-{}@daytona.mw", rand_suffix());
    add_user(app, &email, role).await;
    let c = client();
    let page = get_page(&c, app.url("/admin/login")).await;
    let csrf = input_value(&page, "csrf");
    let res = c
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let home = res.headers()["location"].to_str().unwrap().to_owned();
    let mut res = c.get(app.url(&home)).send().await.unwrap();
    // `require_totp` sends a new user on to enrolment.
    while let Some(next) = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
    {
        res = c.get(app.url(&next)).send().await.unwrap();
    }
    let page = scraper::Html::parse_document(&res.text().await.unwrap());
    let csrf = input_value(&page, "csrf");
    (c, csrf)
}

async fn workshop_with_clock(overrides: &[(&str, &str)]) -> (TestApp, FixedClock) {
    let clock = FixedClock::new(MONDAY_8AM.parse().unwrap());
    let app = spawn_app_with_clock(overrides, Arc::new(clock.clone())).await;
    (app, clock)
}

/// Books a slot through the public API; returns the booking's id.
pub async fn booked(app: &TestApp, date: &str, time: &str) -> String {
    let (status, body) = post_booking(app, &booking(date, time)).await;
    assert_eq!(status, 201, "{body}");
    let r = body["booking_ref"].as_str().unwrap().to_owned();
    app.state
        .db
        .read(move |c| -> anyhow::Result<String> {
            Ok(c.query_row(
                "SELECT id FROM bookings WHERE booking_ref = ?1",
                [r],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap()
}

async fn force_status(app: &TestApp, id: &str, status: &str) {
    let (id, status) = (id.to_owned(), status.to_owned());
    app.state
        .db
        .write(move |tx| -> anyhow::Result<()> {
            tx.execute(
                "UPDATE bookings SET status = ?1 WHERE id = ?2",
                [status, id],
            )?;
            Ok(())
        })
        .await
        .unwrap();
}

fn api(app: &TestApp, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).bearer_auth(token)
}

#[tokio::test]
async fn api_login_me_and_logout() {
    let app = spawn_app().await;
    add_user(&app, "grace@daytona.mw", "manager").await;
    let res = login(&app, "Grace@Daytona.mw", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(body["user"]["role"], "manager");
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));

    let me = api(&app, reqwest::Method::GET, "/v1/auth/me", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.json::<Value>().await.unwrap()["email"],
        "grace@daytona.mw"
    );
    // Only a hash of the token is stored.
    let stored: i64 = app
        .state
        .db
        .read({
            let t = token.clone();
            move |c| -> anyhow::Result<i64> {
                Ok(c.query_row(
                    "SELECT COUNT(*) FROM sessions WHERE token_hash = ?1",
                    [t],
                    |r| r.get(0),
                )?)
            }
        })
        .await
        .unwrap();
    assert_eq!(stored, 0);

    assert_eq!(
        api(&app, reqwest::Method::POST, "/v1/auth/logout", &token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let after = api(&app, reqwest::Method::GET, "/v1/auth/me", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    assert_eq!(
        after.json::<Value>().await.unwrap()["error"]["code"],
        "unauthorized"
    );
    assert_eq!(app.get("/v1/auth/me").await.status(), 401);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_401() {
    let app = spawn_app().await;
    add_user(&app, "grace@daytona.mw", "admin").await;
    let a = login(&app, "grace@daytona.mw", "not the password").await;
    let b = login(&app, "nobody@daytona.mw", PASSWORD).await;
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (401, 401));
    assert_eq!(a.text().await.unwrap(), b.text().await.unwrap());
}

#[tokio::test]
async fn repeated_failures_are_throttled_per_account_and_per_address() {
    let app = spawn_app_with(&[("DAYTONA_SECURITY__LOGIN_MAX_FAILURES", "3")]).await;
    add_user(&app, "grace@daytona.mw", "admin").await;
    for _ in 0..3 {
        assert_eq!(
            login(&app, "grace@daytona.mw", "wrong one").await.status(),
            401
        );
    }
    // Even the right password waits now.
    let res = login(&app, "grace@daytona.mw", PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "900");
    // The address is paused too, for other accounts.
    add_user(&app, "other@daytona.mw", "admin").await;
    assert_eq!(
        login(&app, "other@daytona.mw", PASSWORD).await.status(),
        429
    );
}

#[tokio::test]
async fn tokens_and_sessions_expire_when_idle_and_after_their_lifetime() {
    let (app, clock) = workshop_with_clock(&[
        ("DAYTONA_SECURITY__SESSION_IDLE_MINUTES", "30"),
        ("DAYTONA_SECURITY__SESSION_HOURS", "2"),
    ])
    .await;
    let token = token(&app, "admin").await;
    let me = || api(&app, reqwest::Method::GET, "/v1/auth/me", &token).send();
    clock.advance(SignedDuration::from_mins(25));
    assert_eq!(me().await.unwrap().status(), 200, "activity keeps it alive");
    clock.advance(SignedDuration::from_mins(25));
    assert_eq!(me().await.unwrap().status(), 200);
    clock.advance(SignedDuration::from_mins(31));
    assert_eq!(me().await.unwrap().status(), 401, "idle for 31 minutes");

    let token2 = super::admin::token(&app, "admin").await;
    for _ in 0..5 {
        clock.advance(SignedDuration::from_mins(25));
        let _ = api(&app, reqwest::Method::GET, "/v1/auth/me", &token2)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        api(&app, reqwest::Method::GET, "/v1/auth/me", &token2)
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "past 2 hours"
    );
}

#[tokio::test]
async fn a_password_reset_revokes_sessions() {
    let app = spawn_app().await;
    add_user(&app, "grace@daytona.mw", "admin").await;
    let token = login(&app, "grace@daytona.mw", PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.state
        .db
        .write(|tx| -> anyhow::Result<bool> {
            Ok(daytona::auth::repo::set_password(
                tx,
                "grace@daytona.mw",
                "x",
                jiff::Timestamp::now(),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(
        api(&app, reqwest::Method::GET, "/v1/auth/me", &token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn every_admin_route_for_every_role() {
    let (app, _clock) = workshop_with_clock(&[]).await;
    let id = booked(&app, "2026-11-24", "09:30").await;
    let tokens = [
        ("admin", token(&app, "admin").await),
        ("manager", token(&app, "manager").await),
        ("technician", token(&app, "technician").await),
    ];
    // (method, path, body, allowed roles)
    let routes: Vec<(reqwest::Method, String, Option<Value>, &[&str])> = vec![
        (
            reqwest::Method::GET,
            "/v1/admin/bookings".into(),
            None,
            &["admin", "manager"],
        ),
        (
            reqwest::Method::GET,
            "/v1/admin/bookings.csv".into(),
            None,
            &["admin", "manager"],
        ),
        (
            reqwest::Method::GET,
            format!("/v1/admin/bookings/{id}"),
            None,
            &["admin", "manager"],
        ),
        (
            reqwest::Method::PATCH,
            format!("/v1/admin/bookings/{id}"),
            Some(json!({"admin_note": "ok"})),
            &["admin", "manager"],
        ),
        (
            reqwest::Method::GET,
            "/v1/auth/me".into(),
            None,
            &["admin", "manager", "technician"],
        ),
    ];
    for (method, path, body, allowed) in &routes {
        for (role, token) in &tokens {
            let mut req = api(&app, method.clone(), path, token);
            if let Some(b) = body {
                req = req.json(b);
            }
            let status = req.send().await.unwrap().status().as_u16();
            let want = if allowed.contains(role) { 200 } else { 403 };
            assert_eq!(status, want, "{role} {method} {path}");
        }
        // Nobody signed in: 401.
        let mut req = app.client.request(method.clone(), app.url(path));
        if let Some(b) = body {
            req = req.json(b);
        }
        assert_eq!(
            req.send().await.unwrap().status(),
            401,
            "anonymous {method} {path}"
        );
    }
    // Technicians may check in, start and complete — nothing else.
    let tech = &tokens[2].1;
    let step = |to: &str| {
        api(
            &app,
            reqwest::Method::PATCH,
            &format!("/v1/admin/bookings/{id}"),
            tech,
        )
        .json(&json!({ "status": to }))
        .send()
    };
    assert_eq!(step("confirmed").await.unwrap().status(), 403);
    assert_eq!(
        api(
            &app,
            reqwest::Method::POST,
            &format!("/v1/admin/bookings/{id}/checkin"),
            tech
        )
        .send()
        .await
        .unwrap()
        .status(),
        200
    );
    assert_eq!(step("in_progress").await.unwrap().status(), 200);
    assert_eq!(step("completed").await.unwrap().status(), 200);

    // The pages, by role: (path, admin, manager, technician) → 200 or 403.
    let pages = [
        ("/admin/bookings".to_owned(), [200, 200, 403]),
        (format!("/admin/bookings/{id}"), [200, 200, 403]),
        ("/admin/bookings.csv".to_owned(), [200, 200, 403]),
        ("/admin/today".to_owned(), [200, 200, 200]),
    ];
    for (i, role) in ["admin", "manager", "technician"].iter().enumerate() {
        let (browser, _) = browser(&app, role).await;
        for (path, want) in &pages {
            let status = browser
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            assert_eq!(status, want[i], "{role} {path}");
        }
        let dash = browser.get(app.url("/admin")).send().await.unwrap();
        if *role == "technician" {
            assert_eq!(dash.headers()["location"], "/admin/today");
        } else {
            assert_eq!(dash.status(), 200);
        }
    }
}

#[tokio::test]
async fn every_lifecycle_pair_is_allowed_or_409() {
    use daytona::bookings::model::BookingStatus;
    let (app, _clock) = workshop_with_clock(&[
        ("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "100"),
        ("DAYTONA_SECURITY__BOOKINGS_PER_HOUR", "1000"),
    ])
    .await;
    let token = token(&app, "admin").await;
    for from in BookingStatus::ALL {
        for to in BookingStatus::ALL {
            if to == BookingStatus::Rescheduled {
                continue; // needs a new slot: covered below
            }
            let id = booked(&app, "2026-11-25", "10:30").await;
            force_status(&app, &id, from.as_str()).await;
            let res = api(
                &app,
                reqwest::Method::PATCH,
                &format!("/v1/admin/bookings/{id}"),
                &token,
            )
            .json(&json!({ "status": to.as_str() }))
            .send()
            .await
            .unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            if from.can_become(to) {
                assert_eq!(status, 200, "{from:?} -> {to:?}: {body}");
                assert_eq!(body["status"], to.as_str());
            } else {
                assert_eq!(status, 409, "{from:?} -> {to:?}: {body}");
                assert_eq!(body["error"]["code"], "invalid_transition");
                assert_eq!(body["error"]["from"], from.as_str());
                assert_eq!(body["error"]["to"], to.as_str());
                let allowed: Vec<&str> =
                    from.allowed_targets().iter().map(|s| s.as_str()).collect();
                assert_eq!(body["error"]["allowed"], json!(allowed));
            }
        }
        // Reschedule from each status.
        let id = booked(&app, "2026-11-25", "10:30").await;
        force_status(&app, &id, from.as_str()).await;
        let res = api(
            &app,
            reqwest::Method::PATCH,
            &format!("/v1/admin/bookings/{id}"),
            &token,
        )
        .json(&json!({ "preferred_date": "2026-11-26", "preferred_time": "11:30" }))
        .send()
        .await
        .unwrap();
        let want = if from.can_become(BookingStatus::Rescheduled) {
            200
        } else {
            409
        };
        assert_eq!(res.status().as_u16(), want, "reschedule from {from:?}");
    }
}

#[tokio::test]
async fn reschedule_moves_the_booking_and_respects_capacity() {
    let (app, _clock) = workshop_with_clock(&[("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "1")]).await;
    let token = token(&app, "manager").await;
    let id = booked(&app, "2026-11-24", "09:30").await;
    let _other = booked(&app, "2026-11-24", "10:30").await;
    let patch = |date: &str, time: &str| {
        api(
            &app,
            reqwest::Method::PATCH,
            &format!("/v1/admin/bookings/{id}"),
            &token,
        )
        .json(&json!({ "preferred_date": date, "preferred_time": time }))
        .send()
    };
    let full = patch("2026-11-24", "10:30").await.unwrap();
    assert_eq!(full.status(), 409);
    let body: Value = full.json().await.unwrap();
    assert_eq!(body["error"]["code"], "slot_full");
    assert!(!body["error"]["alternatives"].as_array().unwrap().is_empty());
    assert_eq!(
        patch("2026-11-29", "10:30").await.unwrap().status(),
        422,
        "Sunday is closed"
    );
    let ok = patch("2026-11-24", "11:30").await.unwrap();
    assert_eq!(ok.status(), 200);
    let b: Value = ok.json().await.unwrap();
    assert_eq!(
        (b["status"].as_str(), b["preferred_time"].as_str()),
        (Some("rescheduled"), Some("11:30"))
    );
    // The old slot is free again, and the history says who moved it.
    let day: Value = app
        .get("/v1/availability?date=2026-11-24")
        .await
        .json()
        .await
        .unwrap();
    let old = day["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["time"] == "09:30")
        .unwrap()
        .clone();
    assert_eq!(old["booked"], 0);
    let detail: Value = api(
        &app,
        reqwest::Method::GET,
        &format!("/v1/admin/bookings/{id}"),
        &token,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let last = detail["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["to"], "rescheduled");
    assert_eq!(last["by"], "manager user");
    assert!(last["note"].as_str().unwrap().contains("11:30"));
}

#[tokio::test]
async fn the_list_filters_sorts_and_pages() {
    let (app, _clock) =
        workshop_with_clock(&[("DAYTONA_SECURITY__BOOKINGS_PER_HOUR", "100")]).await;
    let token = token(&app, "admin").await;
    for (d, t) in [
        ("2026-11-24", "09:30"),
        ("2026-11-25", "10:30"),
        ("2026-11-26", "11:30"),
    ] {
        booked(&app, d, t).await;
    }
    let mut special = booking("2026-11-27", "12:30");
    special["name"] = json!("Kondwani Chirwa");
    special["phone"] = json!("0888 765 432");
    post_booking(&app, &special).await;
    let get = |q: &str| {
        api(
            &app,
            reqwest::Method::GET,
            &format!("/v1/admin/bookings?{q}"),
            &token,
        )
        .send()
    };
    let all: Value = get("").await.unwrap().json().await.unwrap();
    assert_eq!(all["total"], 4);
    let r: Value = get("date_from=2026-11-25&date_to=2026-11-26")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["total"], 2);
    let r: Value = get("q=kondwani").await.unwrap().json().await.unwrap();
    assert_eq!(r["items"][0]["customer_name"], "Kondwani Chirwa");
    let r: Value = get("q=0888765432").await.unwrap().json().await.unwrap();
    assert_eq!(
        r["total"], 1,
        "a phone typed locally finds the E.164 number"
    );
    let r: Value = get("sort=-date&per_page=1&page=2")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            r["total"].as_i64(),
            r["items"][0]["preferred_date"].as_str()
        ),
        (Some(4), Some("2026-11-26"))
    );
    let r: Value = get("status=requested").await.unwrap().json().await.unwrap();
    assert_eq!(r["total"], 4);
    let bad = get("status=lost&date_from=soon&sort=price").await.unwrap();
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    for f in ["status", "date_from", "sort"] {
        assert!(body["error"]["fields"][f].is_string(), "{f}");
    }
}

#[tokio::test]
async fn csv_export_has_every_row_and_neutralises_formulas() {
    let (app, _clock) = workshop_with_clock(&[]).await;
    let mut evil = booking("2026-11-24", "09:30");
    evil["name"] = json!("=HYPERLINK(\"http://x\")");
    evil["notes"] = json!("@SUM(1+1)");
    post_booking(&app, &evil).await;
    booked(&app, "2026-11-24", "10:30").await;
    let token = token(&app, "manager").await;
    let res = api(
        &app,
        reqwest::Method::GET,
        "/v1/admin/bookings.csv?date_from=2026-11-24",
        &token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "booking_ref");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let name = headers.iter().position(|h| h == "customer_name").unwrap();
    let notes = headers.iter().position(|h| h == "notes").unwrap();
    let phone = headers.iter().position(|h| h == "customer_phone").unwrap();
    assert_eq!(&rows[0][name], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&rows[0][notes], "'@SUM(1+1)");
    assert_eq!(&rows[0][phone], "'+265991234567");
}

#[tokio::test]
async fn every_staff_change_is_audited() {
    let (app, _clock) = workshop_with_clock(&[]).await;
    let id = booked(&app, "2026-11-24", "09:30").await;
    let token = token(&app, "admin").await;
    api(
        &app,
        reqwest::Method::PATCH,
        &format!("/v1/admin/bookings/{id}"),
        &token,
    )
    .json(
        &json!({"status": "confirmed", "admin_note": "Bring the spare key", "sms_enabled": false}),
    )
    .send()
    .await
    .unwrap();
    let (action, actor, summary): (String, String, String) = app
        .state
        .db
        .read(|c| -> anyhow::Result<_> {
            Ok(c.query_row(
                "SELECT action, actor_label, summary FROM audit_logs",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(
        (action.as_str(), actor.as_str()),
        ("booking.update", "admin user")
    );
    let summary: Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(
        summary["before"],
        json!({"status": "requested", "admin_note": "", "sms_enabled": true})
    );
    assert_eq!(
        summary["after"],
        json!({"status": "confirmed", "admin_note": "Bring the spare key", "sms_enabled": false})
    );
}

#[tokio::test]
async fn admin_forms_need_the_session_csrf_token() {
    let (app, _clock) = workshop_with_clock(&[]).await;
    let id = booked(&app, "2026-11-24", "09:30").await;
    let (browser, csrf) = browser(&app, "manager").await;
    let post = |token: &str| {
        browser
            .post(app.url(&format!("/admin/bookings/{id}/status")))
            .form(&[
                ("csrf", token),
                ("to", "confirmed"),
                ("back", "/admin/bookings"),
            ])
            .send()
    };
    assert_eq!(post("").await.unwrap().status(), 403);
    assert_eq!(post("forged").await.unwrap().status(), 403);
    let res = post(&csrf).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/bookings?msg=updated");
    // The table now offers only what follows "confirmed".
    let page = get_page(&browser, app.url("/admin/bookings")).await;
    assert_eq!(texts(&page, "td .badge"), ["confirmed"]);
    assert_eq!(texts(&page, "td .actions button"), ["Check in", "Cancel"]);
    assert_eq!(texts(&page, "td .actions a"), ["Reschedule"]);
    // An impossible step says so.
    let res = browser
        .post(app.url(&format!("/admin/bookings/{id}/status")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("to", "completed"),
            ("back", "/admin/bookings"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        "/admin/bookings?msg=invalid_transition"
    );
}

#[tokio::test]
async fn technicians_work_from_the_today_page() {
    let clock = FixedClock::new("2026-11-24T04:00:00Z".parse().unwrap());
    let app = spawn_app_with_clock(&[], Arc::new(clock)).await;
    let id = booked(&app, "2026-11-24", "09:30").await;
    force_status(&app, &id, "confirmed").await;
    let (browser, csrf) = browser(&app, "technician").await;
    let page = get_page(&browser, app.url("/admin/today")).await;
    assert_eq!(texts(&page, ".job-time"), ["09:30"]);
    assert_eq!(
        texts(&page, ".job .actions button"),
        ["Check in"],
        "no confirm/cancel/reschedule for technicians"
    );
    let nav = texts(&page, "aside.admin-nav nav a");
    assert_eq!(nav, ["Today"]);
    for to in ["checked_in", "in_progress", "completed"] {
        let res = browser
            .post(app.url(&format!("/admin/bookings/{id}/status")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("to", to),
                ("back", "/admin/today"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()["location"],
            "/admin/today?msg=updated",
            "{to}"
        );
    }
    let res = browser
        .post(app.url(&format!("/admin/bookings/{id}/status")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("to", "cancelled"),
            ("back", "/admin/today"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_staff_surface_is_refused_outside_admin_allow() {
    let app = spawn_app_with(&[("DAYTONA_SECURITY__ADMIN_ALLOW", "10.9.9.0/24")]).await;
    for path in ["/admin/login", "/admin", "/admin/setup?token=x"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 403, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
    }
    for path in ["/v1/auth/me", "/v1/admin/bookings"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 403, "{path}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"]["code"],
            "address_not_allowed"
        );
    }
    assert_eq!(login(&app, "a@b.mw", "x").await.status(), 403);
    // The public site is unaffected.
    assert_eq!(app.get("/").await.status(), 200);
    assert_eq!(
        app.get("/v1/availability?date=2026-11-24").await.status(),
        200
    );
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_with_trust_proxy() {
    let spoof = |app: &TestApp| {
        app.client
            .get(app.url("/admin/login"))
            .header("x-forwarded-for", "10.9.9.9")
            .send()
    };
    let app = spawn_app_with(&[("DAYTONA_SECURITY__ADMIN_ALLOW", "10.9.9.0/24")]).await;
    assert_eq!(
        spoof(&app).await.unwrap().status(),
        403,
        "header ignored without trust_proxy"
    );
    let app = spawn_app_with(&[
        ("DAYTONA_SECURITY__ADMIN_ALLOW", "10.9.9.0/24"),
        ("DAYTONA_SERVER__TRUST_PROXY", "true"),
    ])
    .await;
    assert_eq!(spoof(&app).await.unwrap().status(), 200);
}

#[tokio::test]
async fn staff_open_a_bookings_attachment_from_its_detail_page() {
    let (app, _clock) = workshop_with_clock(&[]).await;
    let form = crate::bookings::multipart_booking(Some((
        "car.png",
        crate::bookings::small_png_with_trailing_data(),
    )));
    let res = app
        .client
        .post(app.url("/v1/bookings"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id: String = app
        .state
        .db
        .read(|c| -> anyhow::Result<String> {
            Ok(c.query_row("SELECT id FROM bookings", [], |r| r.get(0))?)
        })
        .await
        .unwrap();
    let (manager, _) = browser(&app, "manager").await;
    let page = get_page(&manager, app.url(&format!("/admin/bookings/{id}"))).await;
    let links = attrs(&page, "a[href*='/attachments/']", "href");
    assert_eq!(links.len(), 1);
    let res = manager.get(app.url(&links[0])).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    let missing = manager
        .get(app.url(&format!("/admin/bookings/{id}/attachments/nope")))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let (tech, _) = browser(&app, "technician").await;
    assert_eq!(
        tech.get(app.url(&links[0])).send().await.unwrap().status(),
        403
    );
}
