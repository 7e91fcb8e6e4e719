//! Vehicle stock: the staff API (CRUD, photos), the public list with every
//! filter and sort, the detail page with its link preview, caching, views,
//! and the staff pages.

use std::path::{Path, PathBuf};

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::admin::{browser, token};
use crate::helpers::*;

pub const PHONE_UA: &str = "Mozilla/5.0 (Linux; Android 13; SM-A135F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36";

/// The staff API as a manager.
pub struct Staff<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl<'a> Staff<'a> {
    pub async fn new(app: &'a TestApp) -> Staff<'a> {
        Staff {
            app,
            token: token(app, "manager").await,
        }
    }

    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
    }

    /// Creates a vehicle and returns its JSON.
    pub async fn create(&self, body: Value) -> Value {
        let res = self
            .req(reqwest::Method::POST, "/v1/admin/vehicles")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
        res.json().await.unwrap()
    }

    pub async fn upload(&self, vehicle_id: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
        let form = Form::new()
            .part("image", Part::bytes(bytes).file_name(name.to_owned()))
            .text("alt_text", "Front view");
        self.req(
            reqwest::Method::POST,
            &format!("/v1/admin/vehicles/{vehicle_id}/images"),
        )
        .multipart(form)
        .send()
        .await
        .unwrap()
    }
}

pub fn hilux() -> Value {
    json!({
        "make": "Toyota", "model": "Hilux", "year": 2018, "trim": "2.8 GD-6",
        "condition": "used", "price": 32_500_000, "mileage": 85_000,
        "location": "Blantyre showroom", "features": ["4x4", "Tow bar"],
        "description": "One owner, full service history."
    })
}

/// A smooth-gradient photo: realistic to decode, quick to make.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .unwrap();
    out
}

/// A JPEG with an EXIF block that holds GPS coordinates, as phones write.
pub fn jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    // TIFF (little endian): IFD0 with one entry, GPSInfo → GPS IFD with
    // GPSLatitudeRef = "S".
    let mut tiff: Vec<u8> = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes()); // IFD0 offset
    tiff.extend(1u16.to_le_bytes()); // one entry
    tiff.extend(0x8825u16.to_le_bytes()); // GPSInfo
    tiff.extend(4u16.to_le_bytes()); // LONG
    tiff.extend(1u32.to_le_bytes());
    tiff.extend(26u32.to_le_bytes()); // GPS IFD offset
    tiff.extend(0u32.to_le_bytes()); // no next IFD
    tiff.extend(1u16.to_le_bytes()); // GPS IFD: one entry
    tiff.extend(1u16.to_le_bytes()); // GPSLatitudeRef
    tiff.extend(2u16.to_le_bytes()); // ASCII
    tiff.extend(2u32.to_le_bytes());
    tiff.extend(b"S\0\0\0");
    tiff.extend(0u32.to_le_bytes());
    jpeg_with_exif(w, h, &tiff)
}

/// A JPEG whose EXIF says how the camera was held (6: turned right).
pub fn jpeg_with_orientation(w: u32, h: u32, orientation: u16) -> Vec<u8> {
    let mut tiff: Vec<u8> = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes()); // IFD0 offset
    tiff.extend(1u16.to_le_bytes()); // one entry
    tiff.extend(0x0112u16.to_le_bytes()); // Orientation
    tiff.extend(3u16.to_le_bytes()); // SHORT
    tiff.extend(1u32.to_le_bytes());
    tiff.extend(u32::from(orientation).to_le_bytes());
    tiff.extend(0u32.to_le_bytes()); // no next IFD
    jpeg_with_exif(w, h, &tiff)
}

fn jpeg_with_exif(w: u32, h: u32, tiff: &[u8]) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let body = jpeg(w, h);
    let mut out = body[..2].to_vec(); // SOI
    out.extend([0xFF, 0xE1]);
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(&app1);
    out.extend(&body[2..]);
    out
}

/// A tiny PNG whose header claims 30000 × 30000 pixels.
pub fn png_bomb() -> Vec<u8> {
    png_bomb_of(30_000, 30_000)
}

/// A tiny PNG whose header claims `w` × `h` pixels.
pub fn png_bomb_of(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::new(1, 1);
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).unwrap();
    let mut png = png.into_inner();
    // IHDR data starts at 16: width and height, big endian.
    png[16..20].copy_from_slice(&w.to_be_bytes());
    png[20..24].copy_from_slice(&h.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&png[12..29]);
    png[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    png
}

pub fn uploads_dir(app: &TestApp) -> PathBuf {
    app.state.uploads.path("")
}

/// Every file under `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flat_map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() { files_under(&p) } else { vec![p] }
        })
        .collect()
}

async fn public_list(app: &TestApp, query: &str) -> Value {
    let res = app.get(&format!("/v1/vehicles?{query}")).await;
    assert_eq!(res.status(), 200, "{query}");
    res.json().await.unwrap()
}

fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["title"].as_str().unwrap().to_owned())
        .collect()
}

/// Five cars that tell the filters apart.
async fn stock(staff: &Staff<'_>) {
    for (title, make, model, year, condition, price, mileage, status) in [
        (
            "A Hilux",
            "Toyota",
            "Hilux",
            2018,
            "used",
            Some(32_000_000),
            Some(85_000),
            "available",
        ),
        (
            "B Corolla",
            "Toyota",
            "Corolla",
            2012,
            "used",
            Some(9_500_000),
            Some(140_000),
            "reserved",
        ),
        (
            "C Ranger",
            "Ford",
            "Ranger",
            2021,
            "new",
            None,
            Some(0),
            "available",
        ),
        (
            "D Fit",
            "Honda",
            "Fit",
            2015,
            "refurbished",
            Some(7_000_000),
            None,
            "available",
        ),
        (
            "E Prado",
            "Toyota",
            "Land Cruiser Prado",
            2016,
            "used",
            Some(45_000_000),
            Some(120_000),
            "sold",
        ),
    ] {
        staff
            .create(json!({
                "title": title, "make": make, "model": model, "year": year,
                "condition": condition, "price": price, "mileage": mileage, "status": status,
                "description": format!("{title} with air conditioning"),
            }))
            .await;
    }
}

#[tokio::test]
async fn every_filter_and_sort_of_the_public_list() {
    let app = spawn_app().await;
    let staff = Staff::new(&app).await;
    stock(&staff).await;

    let all = public_list(&app, "").await;
    assert_eq!(all["total"], 4, "sold cars are hidden by default");
    assert_eq!(titles(&all), ["D Fit", "C Ranger", "B Corolla", "A Hilux"]);
    let item = &all["items"][2];
    assert_eq!(item["status"], "reserved");
    assert_eq!(item["currency"], "MWK");
    for key in [
        "id",
        "title",
        "make",
        "model",
        "year",
        "condition",
        "price",
        "mileage",
        "location",
        "thumbnail_url",
    ] {
        assert!(item.get(key).is_some(), "{key} missing");
    }

    for (query, expected) in [
        ("make=toyota", vec!["B Corolla", "A Hilux"]),
        ("make=Toyota&model=Hilux", vec!["A Hilux"]),
        ("year_min=2015&year_max=2018", vec!["D Fit", "A Hilux"]),
        (
            "price_min=8000000&price_max=33000000",
            vec!["B Corolla", "A Hilux"],
        ),
        ("price_max=9,500,000", vec!["D Fit", "B Corolla"]),
        ("condition=new", vec!["C Ranger"]),
        ("condition=refurbished", vec!["D Fit"]),
        ("status=sold", vec!["E Prado"]),
        ("status=reserved", vec!["B Corolla"]),
        (
            "status=any&make=Toyota",
            vec!["E Prado", "B Corolla", "A Hilux"],
        ),
        ("q=ranger", vec!["C Ranger"]),
        (
            "q=air+condition",
            vec!["D Fit", "C Ranger", "B Corolla", "A Hilux"],
        ),
        ("q=cruis", vec![]),
        ("q=cruis&status=any", vec!["E Prado"]),
        (
            "sort=price_asc",
            vec!["D Fit", "B Corolla", "A Hilux", "C Ranger"],
        ),
        (
            "sort=price_desc",
            vec!["A Hilux", "B Corolla", "D Fit", "C Ranger"],
        ),
        (
            "sort=year_desc",
            vec!["C Ranger", "A Hilux", "D Fit", "B Corolla"],
        ),
        (
            "sort=mileage_asc",
            vec!["C Ranger", "A Hilux", "B Corolla", "D Fit"],
        ),
        (
            "make=&condition=&q=",
            vec!["D Fit", "C Ranger", "B Corolla", "A Hilux"],
        ),
    ] {
        assert_eq!(titles(&public_list(&app, query).await), expected, "{query}");
    }

    let page2 = public_list(&app, "status=any&per_page=2&page=2").await;
    assert_eq!(
        (
            page2["total"].as_i64(),
            page2["page"].as_i64(),
            page2["per_page"].as_i64()
        ),
        (Some(5), Some(2), Some(2))
    );
    assert_eq!(titles(&page2), ["C Ranger", "B Corolla"]);
    let page3 = public_list(&app, "status=any&per_page=2&page=3").await;
    assert_eq!(titles(&page3), ["A Hilux"]);

    let res = app
        .get("/v1/vehicles?year_min=old&sort=cheapest&per_page=500&condition=scrap")
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let fields = body["error"]["fields"].as_object().unwrap();
    for f in ["year_min", "sort", "per_page", "condition"] {
        assert!(fields.contains_key(f), "{f}: {body}");
    }
}

#[tokio::test]
async fn staff_create_change_and_delete_listings() {
    let app = spawn_app().await;
    let staff = Staff::new(&app).await;
    let v = staff.create(hilux()).await;
    assert_eq!(v["title"], "2018 Toyota Hilux 2.8 GD-6");
    assert_eq!(v["features"], json!(["4x4", "Tow bar"]));
    assert_eq!(v["status"], "available");
    let id = v["id"].as_str().unwrap();

    let (status, body) = app
        .api(
            reqwest::Method::PATCH,
            &format!("/v1/admin/vehicles/{id}"),
            &staff.token,
            Some(json!({"price": null, "status": "reserved", "features": ["4x4"]})),
        )
        .await;
    assert_eq!(status, 200);
    let changed = body;
    assert_eq!(changed["price"], Value::Null);
    assert_eq!(changed["status"], "reserved");
    assert_eq!(changed["mileage"], 85_000, "absent fields stay");

    let public: Value = app
        .get(&format!("/v1/vehicles/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        public["status"], "reserved",
        "the public cache saw the change"
    );
    let (_, page) = app.page(&format!("/vehicles/{id}")).await;
    assert!(
        texts(&page, ".price")
            .iter()
            .any(|t| t == "Price on request")
    );
    assert!(texts(&page, ".badge").iter().any(|t| t == "Reserved"));

    let (status, body) = app
        .api(
            reqwest::Method::POST,
            "/v1/admin/vehicles",
            &staff.token,
            Some(json!({"model": "X", "year": 1800, "condition": "scrap", "price": -5})),
        )
        .await;
    assert_eq!(status, 422);
    for f in ["make", "year", "condition", "price"] {
        assert!(body["error"]["fields"].get(f).is_some(), "{f}: {body}");
    }
    let (status, _) = app
        .api(
            reqwest::Method::PATCH,
            "/v1/admin/vehicles/nope",
            &staff.token,
            Some(json!({"price": 1})),
        )
        .await;
    assert_eq!(status, 404);

    // Technicians do not manage stock; the public cannot reach the API.
    let tech = token(&app, "technician").await;
    let res = app
        .client
        .get(app.url("/v1/admin/vehicles"))
        .bearer_auth(&tech)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.get("/v1/admin/vehicles").await.status(), 401);

    let all: Value = staff
        .req(reqwest::Method::GET, "/v1/admin/vehicles")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 1);

    let (status, _) = app
        .api(
            reqwest::Method::DELETE,
            &format!("/v1/admin/vehicles/{id}"),
            &staff.token,
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(app.get(&format!("/v1/vehicles/{id}")).await.status(), 404);
    assert_eq!(app.get(&format!("/vehicles/{id}")).await.status(), 404);

    let audit: Value = staff
        .req(reqwest::Method::GET, "/v1/admin/audit")
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
    for a in ["vehicle.create", "vehicle.update", "vehicle.delete"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn photos_are_resized_stripped_ordered_and_deleted_with_the_vehicle() {
    let app = spawn_app().await;
    let staff = Staff::new(&app).await;
    let id = staff.create(hilux()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let photo = jpeg_with_gps(4000, 3000);
    assert!(photo.windows(4).any(|w| w == b"Exif"));
    let res = staff.upload(&id, "IMG_0001.jpg", photo).await;
    assert_eq!(res.status(), 201);
    let first: Value = res.json().await.unwrap();
    let large = app.get(first["url"].as_str().unwrap()).await;
    assert_eq!(large.status(), 200);
    assert_eq!(large.headers()["content-type"], "image/jpeg");
    assert!(
        large.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let bytes = large.bytes().await.unwrap();
    assert!(
        !bytes.windows(4).any(|w| w == b"Exif"),
        "EXIF (and its GPS) is gone"
    );
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (1600, 1200));
    let thumb = app
        .get(first["thumb_url"].as_str().unwrap())
        .await
        .bytes()
        .await
        .unwrap();
    let thumb = image::load_from_memory(&thumb).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (400, 300));

    let second: Value = staff
        .upload(&id, "side.png", {
            let mut png = std::io::Cursor::new(Vec::new());
            image::RgbImage::new(800, 600)
                .write_to(&mut png, image::ImageFormat::Png)
                .unwrap();
            png.into_inner()
        })
        .await
        .json()
        .await
        .unwrap();

    let detail: Value = app
        .get(&format!("/v1/vehicles/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = detail["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            first["id"].as_str().unwrap(),
            second["id"].as_str().unwrap()
        ]
    );
    assert_eq!(detail["images"][0]["alt_text"], "Front view");

    // Move the second photo to the front and describe it.
    let (status, _) = app
        .api(
            reqwest::Method::PATCH,
            &format!(
                "/v1/admin/vehicles/{id}/images/{}",
                second["id"].as_str().unwrap()
            ),
            &staff.token,
            Some(json!({"position": 0, "alt_text": "Side view"})),
        )
        .await;
    assert_eq!(status, 200);
    let detail: Value = app
        .get(&format!("/v1/vehicles/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["images"][0]["id"], second["id"]);
    assert_eq!(detail["images"][0]["alt_text"], "Side view");
    let list: Value = app.get("/v1/vehicles").await.json().await.unwrap();
    assert_eq!(
        list["items"][0]["thumbnail_url"], second["thumb_url"],
        "the first photo is the cover"
    );

    // Deleting one photo removes its files; deleting the vehicle removes the rest.
    let (status, _) = app
        .api(
            reqwest::Method::DELETE,
            &format!(
                "/v1/admin/vehicles/{id}/images/{}",
                first["id"].as_str().unwrap()
            ),
            &staff.token,
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(app.get(first["url"].as_str().unwrap()).await.status(), 404);
    assert_eq!(files_under(&uploads_dir(&app)).len(), 2);
    let (status, _) = app
        .api(
            reqwest::Method::DELETE,
            &format!("/v1/admin/vehicles/{id}"),
            &staff.token,
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert!(
        files_under(&uploads_dir(&app)).is_empty(),
        "no photo file is left behind"
    );
}

#[tokio::test]
async fn refused_uploads_get_clear_errors_and_leave_nothing_behind() {
    let app = spawn_app().await;
    let staff = Staff::new(&app).await;
    let id = staff.create(hilux()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = staff
        .upload(
            &id,
            "photo.jpg",
            b"this is a text file, not a photo".to_vec(),
        )
        .await;
    assert_eq!(res.status(), 415);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");

    let mut big = jpeg(64, 64);
    big.resize(5 * 1024 * 1024 + 1, 0);
    assert_eq!(staff.upload(&id, "big.jpg", big).await.status(), 413);

    let res = staff.upload(&id, "bomb.png", png_bomb()).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["fields"]["image"]
            .as_str()
            .unwrap()
            .contains("too large"),
        "{body}"
    );
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "the server is still healthy"
    );

    let truncated = jpeg(200, 200)[..400].to_vec();
    assert_eq!(staff.upload(&id, "cut.jpg", truncated).await.status(), 422);
    assert_eq!(
        staff
            .upload("no-such-vehicle", "a.jpg", jpeg(10, 10))
            .await
            .status(),
        404
    );

    assert!(
        files_under(&uploads_dir(&app)).is_empty(),
        "{:?}",
        files_under(&uploads_dir(&app))
    );
    let detail: Value = app
        .get(&format!("/v1/vehicles/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["images"], json!([]));
}

#[tokio::test]
async fn photos_up_to_the_pixel_limit_are_accepted_and_turned_upright() {
    let app = spawn_app().await;
    let staff = Staff::new(&app).await;
    let id = staff.create(hilux()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored_size = |res: Value| {
        let app = &app;
        async move {
            let bytes = app
                .get(res["url"].as_str().unwrap())
                .await
                .bytes()
                .await
                .unwrap();
            let img = image::load_from_memory(&bytes).unwrap();
            (img.width(), img.height())
        }
    };

    // A 24-megapixel camera photo, held upright (EXIF orientation 6).
    let res = staff
        .upload(&id, "camera.jpg", jpeg_with_orientation(6000, 4000, 6))
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(stored_size(res.json().await.unwrap()).await, (1067, 1600));

    // A 16-megapixel PNG, which is decoded at full size.
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::new(4000, 4000)
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let res = staff.upload(&id, "scan.png", png.into_inner()).await;
    assert_eq!(res.status(), 201);
    assert_eq!(stored_size(res.json().await.unwrap()).await, (1600, 1600));
}

#[tokio::test]
async fn the_detail_page_previews_well_when_shared() {
    let app = spawn_app_with(&[("DAYTONA_SERVER__PUBLIC_URL", "https://daytona.mw")]).await;
    let staff = Staff::new(&app).await;
    let v = staff.create(hilux()).await;
    let id = v["id"].as_str().unwrap();
    let photo: Value = staff
        .upload(id, "front.jpg", jpeg(1200, 900))
        .await
        .json()
        .await
        .unwrap();

    let path = v["url"].as_str().unwrap();
    assert!(
        path.starts_with(&format!("/vehicles/{id}-2018-toyota-hilux")),
        "{path}"
    );
    let (status, page) = app.page(path).await;
    assert_eq!(status, 200);
    let og_image = attrs(&page, "meta[property='og:image']", "content");
    assert_eq!(
        og_image,
        [format!(
            "https://daytona.mw{}",
            photo["url"].as_str().unwrap()
        )]
    );
    assert_eq!(
        attrs(&page, "meta[property='og:title']", "content"),
        ["2018 Toyota Hilux 2.8 GD-6"]
    );
    assert_eq!(
        attrs(&page, "link[rel=canonical]", "href"),
        [format!("https://daytona.mw{path}")]
    );
    let wa = attrs(&page, "a[href^='https://wa.me/']", "href");
    assert!(!wa.is_empty());
    assert!(wa[0].contains("2018%20Toyota%20Hilux"), "{wa:?}");
    assert!(wa[0].contains(&daytona::web::layout::url_encode(&format!(
        "https://daytona.mw{path}"
    ))));
    assert!(!attrs(&page, "a[href^='tel:']", "href").is_empty());
    let ld = texts(&page, "script[type='application/ld+json']");
    let ld: Value = serde_json::from_str(&ld[0]).unwrap();
    assert_eq!(ld["@type"], "Car");
    assert_eq!(ld["offers"]["price"], 32_500_000);
    assert_eq!(texts(&page, ".price-large"), ["MWK 32,500,000"]);
    assert!(texts(&page, ".feature-list li").contains(&"Tow bar".to_owned()));
    assert_eq!(attrs(&page, ".carousel-slide img", "width"), ["1200"]);
    for form in ["price_request", "test_drive_request", "general"] {
        assert_eq!(
            attrs(&page, &format!("#inquire-{form} input[name=type]"), "value"),
            [form]
        );
    }
    // The bare id works too.
    assert_eq!(app.get(&format!("/vehicles/{id}")).await.status(), 200);

    let sitemap = app.get("/sitemap.xml").await.text().await.unwrap();
    assert!(
        sitemap.contains(&format!("https://daytona.mw{path}")),
        "{sitemap}"
    );
    assert!(sitemap.contains("https://daytona.mw/book"));
}

#[tokio::test]
async fn public_pages_are_cached_and_revalidated() {
    let app = spawn_app().await;
    let staff = Staff::new(&app).await;
    let v = staff.create(hilux()).await;
    for path in ["/vehicles", "/v1/vehicles", v["url"].as_str().unwrap()] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "public, max-age=60");
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        let gz = raw_client()
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(gz.headers()["content-encoding"], "gzip");
    }
    // A change makes a new version.
    let before = app.get("/vehicles").await.headers()["etag"].clone();
    staff
        .req(
            reqwest::Method::PATCH,
            &format!("/v1/admin/vehicles/{}", v["id"].as_str().unwrap()),
        )
        .json(&json!({"price": 30_000_000}))
        .send()
        .await
        .unwrap();
    let res = app.get("/vehicles").await;
    assert_ne!(res.headers()["etag"], before);
    assert!(res.text().await.unwrap().contains("MWK 30,000,000"));
}

#[tokio::test]
async fn the_list_page_filters_with_plain_links() {
    let app = spawn_app().await;
    let staff = Staff::new(&app).await;
    stock(&staff).await;
    let (status, page) = app.page("/vehicles?make=Toyota&per_page=1").await;
    assert_eq!(status, 200);
    assert_eq!(texts(&page, ".vehicle-card h2"), ["B Corolla"]);
    assert_eq!(texts(&page, ".vehicle-card .badge"), ["Reserved"]);
    assert_eq!(texts(&page, ".result-count"), ["2 vehicles"]);
    assert_eq!(
        attrs(&page, ".pager a[rel=next]", "href"),
        ["/vehicles?make=Toyota&per_page=1&page=2"]
    );
    let (_, next) = app.page("/vehicles?make=Toyota&per_page=1&page=2").await;
    assert_eq!(texts(&next, ".vehicle-card h2"), ["A Hilux"]);
    assert_eq!(texts(&next, ".vehicle-card .price"), ["MWK 32,000,000"]);
    // The make list only offers what is for sale, with counts.
    let makes = texts(&page, "select[name=make] option");
    assert!(makes.contains(&"Toyota (2)".to_owned()), "{makes:?}");
    // A bad value is explained next to its field; the rest still applies.
    let (status, page) = app.page("/vehicles?make=Honda&year_min=soon").await;
    assert_eq!(status, 200);
    assert_eq!(texts(&page, ".vehicle-card h2"), ["D Fit"]);
    assert!(!texts(&page, ".field-error").is_empty());
    let (_, none) = app.page("/vehicles?q=tractor").await;
    assert!(texts(&none, ".empty p")[0].contains("No vehicles"));
}

#[tokio::test]
async fn views_are_counted_per_day_without_bots_or_staff() {
    let app = spawn_app().await;
    let staff = Staff::new(&app).await;
    let id = staff.create(hilux()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let visit = |ua: &'static str| {
        let url = app.url(&format!("/vehicles/{id}"));
        async move {
            reqwest::Client::new()
                .get(url)
                .header("user-agent", ua)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(visit(PHONE_UA).await, 200);
    assert_eq!(visit(PHONE_UA).await, 200);
    assert_eq!(
        visit("Googlebot/2.1 (+http://www.google.com/bot.html)").await,
        200
    );
    assert_eq!(visit("WhatsApp/2.23.20.0").await, 200);
    let (staff_browser, _) = browser(&app, "manager").await;
    staff_browser
        .get(app.url(&format!("/vehicles/{id}")))
        .header("user-agent", PHONE_UA)
        .send()
        .await
        .unwrap();
    daytona::vehicles::counter::flush(&app.state).await.unwrap();
    let counted: Vec<(String, i64)> = app
        .state
        .db
        .read(move |c| -> anyhow::Result<_> {
            Ok(
                c.prepare("SELECT day, views FROM vehicle_views WHERE vehicle_id = ?1")?
                    .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            )
        })
        .await
        .unwrap();
    assert_eq!(counted.len(), 1, "one row per vehicle per day");
    assert_eq!(counted[0].1, 2);
}

#[tokio::test]
async fn staff_publish_a_car_with_photos_from_the_pages_alone() {
    let app = spawn_app().await;
    let (c, csrf) = browser(&app, "manager").await;
    let page = get_page(&c, app.url("/admin/vehicles/new")).await;
    assert_eq!(input_value(&page, "csrf"), csrf);

    // A mistake comes back next to its field, with the input kept.
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("make", "Toyota"),
        ("model", "Hilux"),
        ("year", "twenty"),
        ("condition", "used"),
        ("status", "available"),
        ("price", "32,500,000"),
        ("mileage", "85 000"),
        ("features", "4x4\nTow bar\n"),
        ("description", "Clean"),
    ];
    let res = c
        .post(app.url("/admin/vehicles/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(input_value(&html, "price"), "32,500,000");
    assert!(
        texts(&html, ".field-error")
            .iter()
            .any(|e| e.contains("year")),
        "{:?}",
        texts(&html, ".field-error")
    );

    form[3] = ("year", "2018");
    let res = c
        .post(app.url("/admin/vehicles/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let id = location
        .trim_start_matches("/admin/vehicles/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    // Ten photos in one upload, and one that is not a photo.
    let mut upload = Form::new().text("csrf", csrf.clone());
    for i in 0..10 {
        upload = upload.part(
            "image",
            Part::bytes(jpeg(640, 480)).file_name(format!("car{i}.jpg")),
        );
    }
    upload = upload.part(
        "image",
        Part::bytes(b"notes".to_vec()).file_name("notes.jpg"),
    );
    let res = c
        .post(app.url(&format!("/admin/vehicles/{id}/photos")))
        .multipart(upload)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    let page = get_page(&c, app.url(&back)).await;
    assert_eq!(
        page.select(&scraper::Selector::parse(".photo-item").unwrap())
            .count(),
        10
    );
    assert!(
        texts(&page, ".alert-error li")
            .iter()
            .any(|t| t.starts_with("notes.jpg"))
    );

    // A CSRF-less upload is refused.
    let res = c
        .post(app.url(&format!("/admin/vehicles/{id}/photos")))
        .multipart(Form::new().part("image", Part::bytes(jpeg(10, 10)).file_name("x.jpg")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Photos are handled as they arrive, so the token must come before them.
    let late_token = Form::new()
        .part("image", Part::bytes(jpeg(10, 10)).file_name("x.jpg"))
        .text("csrf", csrf.clone());
    let res = c
        .post(app.url(&format!("/admin/vehicles/{id}/photos")))
        .multipart(late_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        files_under(&uploads_dir(&app)).len(),
        20,
        "ten photos, two files each"
    );

    // Alt text and order from the photo forms.
    let photo_forms = attrs(&page, ".photo-item form", "action");
    let res = c
        .post(app.url(&photo_forms[1]))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "up"),
            ("alt_text", "Rear"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let detail: Value = app
        .get(&format!("/v1/vehicles/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["images"].as_array().unwrap().len(), 10);
    assert_eq!(detail["images"][0]["alt_text"], "Rear");
    assert_eq!(detail["price"], 32_500_000);
    assert_eq!(detail["mileage"], 85_000);

    // One click to reserved from the list.
    let res = c
        .post(app.url(&format!("/admin/vehicles/{id}/status")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("to", "reserved"),
            ("back", "/admin/vehicles"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let list = get_page(&c, app.url("/admin/vehicles")).await;
    assert_eq!(texts(&list, ".admin-vehicle .badge"), ["Reserved"]);

    // Delete from the page removes everything.
    let res = c
        .post(app.url(&format!("/admin/vehicles/{id}/delete")))
        .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(files_under(&uploads_dir(&app)).is_empty());
}
