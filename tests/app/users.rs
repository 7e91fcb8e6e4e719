//! Staff users (admin only), the audit log and the settings page.

use serde_json::{Value, json};

use crate::admin::{PASSWORD, add_user, browser, login, token};
use crate::helpers::*;

fn api(app: &TestApp, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).bearer_auth(token)
}

#[tokio::test]
async fn admins_create_users_and_others_may_not() {
    let app = spawn_app().await;
    let admin = token(&app, "admin").await;
    let body = json!({"email": "tech@daytona.mw", "name": "Tiwonge", "role": "technician", "password": PASSWORD});
    let res = api(&app, reqwest::Method::POST, "/v1/admin/users", &admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["role"], "technician");
    assert_eq!(created["disabled"], false);
    let dup = api(&app, reqwest::Method::POST, "/v1/admin/users", &admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 409);
    assert_eq!(
        dup.json::<Value>().await.unwrap()["error"]["code"],
        "email_taken"
    );
    let bad = api(&app, reqwest::Method::POST, "/v1/admin/users", &admin)
        .json(&json!({"email": "x", "name": "", "role": "technician", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let fields = bad.json::<Value>().await.unwrap()["error"]["fields"].clone();
    for f in ["email", "name", "password"] {
        assert!(fields[f].is_string(), "{f}");
    }
    for role in ["manager", "technician"] {
        let t = token(&app, role).await;
        assert_eq!(
            api(&app, reqwest::Method::GET, "/v1/admin/users", &t)
                .send()
                .await
                .unwrap()
                .status(),
            403,
            "{role}"
        );
        let res = api(&app, reqwest::Method::POST, "/v1/admin/users", &t)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{role}");
    }
    let list: Value = api(&app, reqwest::Method::GET, "/v1/admin/users", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == "tech@daytona.mw")
    );
}

#[tokio::test]
async fn disabling_or_resetting_a_user_signs_them_out() {
    let app = spawn_app().await;
    let admin = token(&app, "admin").await;
    let id = add_user(&app, "grace@daytona.mw", "manager").await;
    let grace = login(&app, "grace@daytona.mw", PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = |t: &str| api(&app, reqwest::Method::GET, "/v1/auth/me", t).send();
    assert_eq!(me(&grace).await.unwrap().status(), 200);

    let patch = |body: Value| {
        api(
            &app,
            reqwest::Method::PATCH,
            &format!("/v1/admin/users/{id}"),
            &admin,
        )
        .json(&body)
        .send()
    };
    let res = patch(json!({"password": "a completely new one"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        me(&grace).await.unwrap().status(),
        401,
        "reset revokes sessions"
    );
    assert_eq!(
        login(&app, "grace@daytona.mw", PASSWORD).await.status(),
        401
    );
    let grace = login(&app, "grace@daytona.mw", "a completely new one")
        .await
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = patch(json!({"role": "technician"})).await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["role"], "technician");
    assert_eq!(
        me(&grace).await.unwrap().json::<Value>().await.unwrap()["role"],
        "technician"
    );

    assert_eq!(
        patch(json!({"disabled": true})).await.unwrap().status(),
        200
    );
    assert_eq!(me(&grace).await.unwrap().status(), 401);
    assert_eq!(
        login(&app, "grace@daytona.mw", "a completely new one")
            .await
            .status(),
        401,
        "disabled users cannot sign in"
    );
    assert_eq!(
        patch(json!({"password": "short"})).await.unwrap().status(),
        422
    );

    // Nobody locks themselves out.
    let me_id = me(&admin).await.unwrap().json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = api(
        &app,
        reqwest::Method::PATCH,
        &format!("/v1/admin/users/{me_id}"),
        &admin,
    )
    .json(&json!({"disabled": true}))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 409);

    // Each change is in the audit log, which managers may read too.
    let audit: Value = api(&app, reqwest::Method::GET, "/v1/admin/audit", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user.update", "user.update", "user.update"]);
    assert_eq!(
        audit["items"][0]["summary"]["after"],
        json!({"disabled": true})
    );
    let manager = token(&app, "manager").await;
    assert_eq!(
        api(&app, reqwest::Method::GET, "/v1/admin/audit", &manager)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let tech = token(&app, "technician").await;
    assert_eq!(
        api(&app, reqwest::Method::GET, "/v1/admin/audit", &tech)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn the_users_page_adds_staff_with_errors_next_to_fields() {
    let app = spawn_app().await;
    let (browser, csrf) = browser(&app, "admin").await;
    let res = browser
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Tiwonge"),
            ("email", "nope"),
            ("role", "technician"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(texts(&page, "#email-error").len(), 1);
    assert_eq!(input_value(&page, "name"), "Tiwonge");
    let res = browser
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Tiwonge"),
            ("email", "tiwonge@daytona.mw"),
            ("role", "technician"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/admin/users?msg=created");
    let page = get_page(&browser, app.url("/admin/users")).await;
    assert!(
        texts(&page, "table.data td")
            .iter()
            .any(|t| t == "tiwonge@daytona.mw")
    );
    let res = browser
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf", "forged"),
            ("name", "X"),
            ("email", "x@daytona.mw"),
            ("role", "admin"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let (manager, _) = crate::admin::browser(&app, "manager").await;
    assert_eq!(
        manager
            .get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn settings_show_the_effective_config_without_secrets() {
    let app = spawn_app_with(&[
        ("DAYTONA_EMAIL__PASSWORD", "hunter2-secret"),
        ("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "4"),
    ])
    .await;
    let (admin, _) = browser(&app, "admin").await;
    let res = admin.get(app.url("/admin/settings")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(!text.contains("hunter2-secret"));
    assert!(text.contains("&lt;redacted&gt;"));
    assert!(text.contains("capacity_per_slot = 4"));
    let (manager, _) = browser(&app, "manager").await;
    assert_eq!(
        manager
            .get(app.url("/admin/settings"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let (admin2, _) = browser(&app, "admin").await;
    assert_eq!(
        admin2
            .get(app.url("/admin/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
