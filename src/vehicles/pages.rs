//! The public stock pages: `/vehicles` (filters, sort, paging: plain GET
//! forms and links, no JavaScript needed), a vehicle's page with its photos
//! and the three inquiry forms, the photos under `/media/vehicles/`, and
//! `/sitemap.xml`.

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::browse::{BrowseQuery, href, query_string};
use super::model::{Condition, VehicleKey, VehicleStatus, price_label, vehicle_path};
use super::repo::{self, Filter, Image, Listed, Sort, Vehicle};
use crate::config::Config;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::leads::forms::{self, Inquiry, Placement, inquiry_form};
use crate::leads::model::{InquiryInput, LeadType};
use crate::state::AppState;
use crate::upload::media_url;
use crate::web::client::ClientIp;
use crate::web::extract::{Form, Path, Query};
use crate::web::layout::thousands;
use crate::web::layout::{self, Page, field, input, select, tel_href, whatsapp_href};
use crate::web::paging::pager;
use crate::web::redirect::LocalPath;

fn status_badge(status: VehicleStatus) -> Markup {
    html! {
        @match status {
            VehicleStatus::Available => {},
            VehicleStatus::Reserved => span.badge.badge-reserved { "Reserved" },
            VehicleStatus::Sold => span.badge.badge-sold { "Sold" },
        }
    }
}

fn km(mileage: Option<i64>) -> Option<String> {
    mileage.map(|m| format!("{} km", thousands(m)))
}

/// The thumbnail's own size, so the layout does not jump while photos load.
fn thumb_size(img: &Image) -> (u32, u32) {
    crate::upload::fit(img.width, img.height, crate::upload::THUMB_PX)
}

/// Cards above the fold load at once; the rest when scrolled to.
const EAGER_CARDS: usize = 2;

fn card(config: &Config, l: &Listed, index: usize) -> Markup {
    let v = &l.vehicle;
    let d = &v.data;
    let facts: Vec<String> = [
        Some(d.year.to_string()),
        km(d.mileage),
        Some(d.condition.label().to_owned()),
        Some(d.location.clone()).filter(|s| !s.is_empty()),
    ]
    .into_iter()
    .flatten()
    .collect();
    html! {
        li.vehicle-card {
            a href=(vehicle_path(&v.id, &v.data.title)) {
                div.vehicle-photo {
                    @if let Some(img) = &l.cover {
                        @let (w, h) = thumb_size(img);
                        img src=(media_url(&img.thumb_path)) width=(w) height=(h)
                            alt=(if img.alt_text.is_empty() { &d.title } else { &img.alt_text })
                            loading=(if index < EAGER_CARDS { "eager" } else { "lazy" }) decoding="async";
                    } @else {
                        span.no-photo { "Photo coming soon" }
                    }
                    (status_badge(d.status))
                }
                div.vehicle-body {
                    h2 { (d.title) }
                    p.price { (price_label(&config.business.currency, d.price)) }
                    p.facts { (facts.join(" · ")) }
                }
            }
        }
    }
}

fn filters_form(f: &Filter, makes: &[(String, i64)], errors: &FieldErrors) -> Markup {
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    let mut make_options = vec![(String::new(), "Any make".to_owned())];
    make_options.extend(makes.iter().map(|(m, n)| (m.clone(), format!("{m} ({n})"))));
    let mut condition_options = vec![("", "Any condition")];
    condition_options.extend(Condition::options());
    let status = match f.statuses.as_slice() {
        [one] => one.as_str(),
        [] => "any",
        _ => "",
    };
    let status_options = [
        ("", "For sale"),
        ("available", "Available only"),
        ("sold", "Sold"),
        ("any", "All, including sold"),
    ];
    let sort_options: Vec<_> = Sort::ALL.iter().map(|s| (s.as_str(), s.label())).collect();
    let more_open = f.model.is_some()
        || f.year_min.is_some()
        || f.year_max.is_some()
        || f.price_min.is_some()
        || f.price_max.is_some()
        || f.condition.is_some()
        || f.statuses.len() != 2
        || !errors.is_empty();
    let num = |label: &str, name: &str, value: String, placeholder: &str| {
        field(
            label,
            name,
            errors.get(name),
            "",
            html! {
                input id=(name) name=(name) type="text" inputmode="numeric" value=(value)
                    placeholder=(placeholder) aria-invalid=[errors.get(name).map(|_| "true")];
            },
        )
    };
    html! {
        form.form.vehicle-filters method="get" action="/vehicles" role="search" {
            div.filter-main {
                (field("Search", "q", None, "", input("search", "q", f.q.as_deref().unwrap_or(""), false, "off")))
                (field("Make", "make", None, "", select("make", f.make.as_deref().unwrap_or(""), &make_options)))
                (field("Sort by", "sort", errors.get("sort"), "", select("sort", f.sort.as_str(), &sort_options)))
            }
            details.filter-more open[more_open] {
                summary { "More filters" }
                div.filter-grid {
                    (field("Model", "model", None, "", input("text", "model", f.model.as_deref().unwrap_or(""), false, "off")))
                    (field("Condition", "condition", errors.get("condition"), "", select("condition", f.condition.map(Condition::as_str).unwrap_or(""), &condition_options)))
                    (num("Year from", "year_min", opt(f.year_min), "e.g. 2015"))
                    (num("Year to", "year_max", opt(f.year_max), ""))
                    (num("Price from (MWK)", "price_min", opt(f.price_min), ""))
                    (num("Price up to (MWK)", "price_max", opt(f.price_max), "e.g. 20,000,000"))
                    (field("Show", "status", errors.get("status"), "", select("status", status, &status_options)))
                }
            }
            div.btn-row {
                button.btn.btn-primary type="submit" { "Show vehicles" }
                a.btn.btn-secondary href="/vehicles" { "Clear" }
            }
        }
    }
}

/// `GET /vehicles`: served from the page cache while the stock is unchanged.
/// Bad filter values are shown next to their field and left out; such a
/// page is not cached.
pub async fn view_vehicles_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<BrowseQuery>,
) -> AppResult<Response> {
    let (filter, errors) = q.parse_lenient();
    if !errors.is_empty() {
        let body = list_page(&state, &filter, &errors).await?;
        return Ok(axum::response::Html(body).into_response());
    }
    let key = format!("html:list?{}", query_string(&filter, filter.paging.page));
    let render = async { Ok(list_page(&state, &filter, &errors).await?.into_bytes()) };
    state.pages.serve(key, &headers, HTML, render).await
}

const HTML: &str = "text/html; charset=utf-8";

async fn list_page(state: &AppState, filter: &Filter, errors: &FieldErrors) -> AppResult<String> {
    let list_filter = filter.clone();
    let ((rows, total), makes) = state
        .db
        .read(move |c| -> AppResult<_> { Ok((repo::list(c, &list_filter)?, repo::makes(c)?)) })
        .await?;
    let c = &state.config;
    let heading = layout::count_of(total, "vehicle", "vehicles");
    let page = layout::public(
        c,
        Page {
            title: "Vehicles for sale",
            description: &format!(
                "Quality used and new vehicles for sale at {}: prices, photos, test drives.",
                c.business.name
            ),
            body: html! {
                h1 { "Vehicles for sale" }
                (filters_form(filter, &makes, errors))
                p.result-count aria-live="polite" { (heading) }
                @if rows.is_empty() {
                    div.empty {
                        p { "No vehicles match these filters right now." }
                        p { "Tell us what you are looking for and we will call you when one comes in: "
                            a href=(tel_href(&c.business.phone)) { (c.business.phone) } "." }
                    }
                } @else {
                    ul.vehicle-grid {
                        @for (i, l) in rows.iter().enumerate() { (card(c, l, i)) }
                    }
                }
                (pager(filter.paging, total, |p| href("/vehicles", filter, p)))
            },
        },
    );
    Ok(page.into_string())
}

/// What the thank-you banner says, keyed by `?sent=<type>`.
#[derive(Deserialize)]
pub struct SentParam {
    sent: Option<String>,
}

/// `GET /vehicles/{id}` (with or without the slug): served from the page
/// cache when it can; every page served counts as a view.
pub async fn view_vehicle_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(VehicleKey(id)): Path<VehicleKey>,
    Query(sent): Query<SentParam>,
) -> AppResult<Response> {
    let sent = sent.sent.as_deref().and_then(LeadType::parse);
    let cache_key = format!("html:vehicle:{id}:{}", sent.map_or("", LeadType::as_str));
    let render = async {
        let (v, images) = super::manage::find(&state, &id).await?;
        let page = detail_page(&state.config, &v, &images, &Inquiry::Sent(sent));
        Ok(page.into_string().into_bytes())
    };
    let res = state.pages.serve(cache_key, &headers, HTML, render).await?;
    let today = crate::bookings::slots::Schedule::new(&state.config).today(state.clock.now());
    super::counter::record(&state, &headers, &id, today.to_string());
    Ok(res)
}

fn absolute(config: &Config, path: &str) -> String {
    format!("{}{path}", config.base_url())
}

fn link_preview(config: &Config, v: &Vehicle, images: &[Image]) -> Markup {
    let d = &v.data;
    let url = absolute(config, &vehicle_path(&v.id, &v.data.title));
    let description = format!(
        "{} · {}{}",
        price_label(&config.business.currency, d.price),
        d.year,
        km(d.mileage).map(|k| format!(" · {k}")).unwrap_or_default()
    );
    let ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Car",
        "name": d.title,
        "brand": { "@type": "Brand", "name": d.make },
        "model": d.model,
        "vehicleModelDate": d.year.to_string(),
        "itemCondition": match d.condition {
            Condition::New => "https://schema.org/NewCondition",
            Condition::Used => "https://schema.org/UsedCondition",
            Condition::Refurbished => "https://schema.org/RefurbishedCondition",
        },
        "mileageFromOdometer": d.mileage.map(|m| serde_json::json!({
            "@type": "QuantitativeValue", "value": m, "unitCode": "KMT"
        })),
        "vehicleIdentificationNumber": (!d.vin.is_empty()).then_some(&d.vin),
        "image": images.iter().map(|i| absolute(config, &media_url(&i.large_path))).collect::<Vec<_>>(),
        "description": d.description,
        "url": url,
        "offers": {
            "@type": "Offer",
            "priceCurrency": config.business.currency,
            "price": d.price,
            "availability": match d.status {
                VehicleStatus::Available => "https://schema.org/InStock",
                VehicleStatus::Reserved => "https://schema.org/LimitedAvailability",
                VehicleStatus::Sold => "https://schema.org/SoldOut",
            },
            "seller": { "@type": "AutoDealer", "name": config.business.name, "telephone": config.business.phone },
        },
    });
    // `</` inside JSON would end the script element early.
    let ld = ld.to_string().replace("</", "<\\/");
    html! {
        link rel="canonical" href=(url);
        meta property="og:type" content="website";
        meta property="og:site_name" content=(config.business.name);
        meta property="og:title" content=(d.title);
        meta property="og:description" content=(description);
        meta property="og:url" content=(url);
        @if let Some(img) = images.first() {
            meta property="og:image" content=(absolute(config, &media_url(&img.large_path)));
            meta property="og:image:width" content=(img.width);
            meta property="og:image:height" content=(img.height);
            meta property="og:image:alt" content=(if img.alt_text.is_empty() { &d.title } else { &img.alt_text });
            meta name="twitter:card" content="summary_large_image";
            meta name="twitter:image" content=(absolute(config, &media_url(&img.large_path)));
        } @else {
            meta name="twitter:card" content="summary";
        }
        meta name="twitter:title" content=(d.title);
        meta name="twitter:description" content=(description);
        script type="application/ld+json" { (PreEscaped(ld)) }
        script src=(crate::web::assets::url("vehicle.js")) defer {}
    }
}

fn carousel(v: &Vehicle, images: &[Image]) -> Markup {
    html! {
        @if images.is_empty() {
            div.carousel-empty { "Photos coming soon" }
        } @else {
            div.carousel data-count=(images.len()) {
                ol.carousel-track aria-label="Photos" tabindex="0" {
                    @for (i, img) in images.iter().enumerate() {
                        li.carousel-slide id={ "photo-" (i + 1) } {
                            img src=(media_url(&img.large_path))
                                srcset={ (media_url(&img.thumb_path)) " 400w, " (media_url(&img.large_path)) " " (img.width) "w" }
                                sizes="(max-width: 760px) 100vw, 760px"
                                width=(img.width) height=(img.height)
                                alt=(if img.alt_text.is_empty() { format!("{} photo {}", v.data.title, i + 1) } else { img.alt_text.clone() })
                                loading=(if i == 0 { "eager" } else { "lazy" }) decoding="async";
                        }
                    }
                }
                @if images.len() > 1 {
                    p.carousel-hint { (images.len()) " photos · swipe to see more" }
                }
            }
        }
    }
}

fn specs(config: &Config, v: &Vehicle) -> Markup {
    let d = &v.data;
    let rows: Vec<(&str, String)> = [
        ("Make", Some(d.make.clone())),
        ("Model", Some(d.model.clone())),
        ("Year", Some(d.year.to_string())),
        ("Trim", Some(d.trim.clone())),
        ("Condition", Some(d.condition.label().to_owned())),
        ("Mileage", km(d.mileage)),
        ("Location", Some(d.location.clone())),
        ("Registration", Some(d.reg_number.clone())),
        ("VIN", Some(d.vin.clone())),
        (
            "Price",
            Some(price_label(&config.business.currency, d.price)),
        ),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.filter(|s| !s.is_empty()).map(|v| (k, v)))
    .collect();
    html! {
        table.specs {
            caption.visually-hidden { "Specifications" }
            tbody {
                @for (k, val) in rows {
                    tr { th scope="row" { (k) } td { (val) } }
                }
            }
        }
    }
}

/// A vehicle's page.
pub fn detail_page(config: &Config, v: &Vehicle, images: &[Image], inquiry: &Inquiry) -> Markup {
    let d = &v.data;
    let b = &config.business;
    let url = absolute(config, &vehicle_path(&v.id, &v.data.title));
    let wa_text = format!(
        "Hello {}, I am interested in the {} ({}): {url}",
        b.name,
        d.title,
        price_label(&b.currency, d.price)
    );
    let wa_number = if b.whatsapp.is_empty() {
        &b.phone
    } else {
        &b.whatsapp
    };
    let description = format!(
        "{} for sale at {}: {}.",
        d.title,
        b.name,
        price_label(&b.currency, d.price)
    );
    layout::public_with_head(
        config,
        Page {
            title: &d.title,
            description: &description,
            body: html! {
                nav.breadcrumbs aria-label="Breadcrumb" { a href="/vehicles" { "← All vehicles" } }
                article.vehicle {
                    header.vehicle-head {
                        h1 { (d.title) " " (status_badge(d.status)) }
                        p.price.price-large { (price_label(&b.currency, d.price)) }
                    }
                    (carousel(v, images))
                    div.vehicle-actions #inquiry {
                        (forms::thanks(inquiry))
                        div.btn-row {
                            a.btn.btn-whatsapp href=(whatsapp_href(wa_number, &wa_text)) rel="noopener" { "WhatsApp us about this car" }
                            a.btn.btn-secondary href=(tel_href(&b.phone)) { "Call " (b.phone) }
                        }
                        @let action = format!("/vehicles/{}/inquire", v.id);
                        @if d.status != VehicleStatus::Sold {
                            (inquiry_form(&action, LeadType::PriceRequest, Placement::Vehicle, inquiry))
                            (inquiry_form(&action, LeadType::TestDriveRequest, Placement::Vehicle, inquiry))
                        }
                        (inquiry_form(&action, LeadType::General, Placement::Vehicle, inquiry))
                    }
                    section {
                        h2 { "Specifications" }
                        (specs(config, v))
                    }
                    @if !d.features.is_empty() {
                        section {
                            h2 { "Features" }
                            ul.feature-list { @for f in &d.features { li { (f) } } }
                        }
                    }
                    @if !d.description.is_empty() {
                        section.description {
                            h2 { "Description" }
                            @for para in d.description.split("\n\n").filter(|p| !p.trim().is_empty()) {
                                p { (para.trim()) }
                            }
                        }
                    }
                }
            },
        },
        link_preview(config, v, images),
    )
}

/// `POST /vehicles/{id}/inquire`: the three forms of a vehicle's page.
pub async fn view_inquire_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(VehicleKey(id)): Path<VehicleKey>,
    Form(input): Form<InquiryInput>,
) -> AppResult<Response> {
    let (v, images) = super::manage::find(&state, &id).await?;
    match forms::submit(&state, ip, input, Some(id)).await? {
        Inquiry::Invalid {
            kind,
            input,
            errors,
        } => {
            let inquiry = Inquiry::Invalid {
                kind,
                input,
                errors,
            };
            let page = detail_page(&state.config, &v, &images, &inquiry);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Inquiry::Sent(kind) => {
            let kind = kind.unwrap_or(LeadType::General).as_str();
            Ok(LocalPath::new(&vehicle_path(&v.id, &v.data.title))
                .with("sent", kind)
                .fragment("inquiry")
                .into_response())
        }
    }
}

/// `GET /media/vehicles/{vehicle}/{file}`: listing photos. File names are
/// unique per upload and never reused, so they are cached for a year.
pub async fn media_get(
    State(state): State<AppState>,
    Path((vehicle, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_hexdigit() || c == '-' || c == '.' || c.is_ascii_lowercase())
            && !s.contains("..")
    };
    if !safe(&vehicle) || !safe(&file) || !file.ends_with(".jpg") {
        return Err(AppError::NotFound);
    }
    let path = state.uploads.path(&format!("vehicles/{vehicle}/{file}"));
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// `GET /sitemap.xml`: the public pages and every unsold vehicle.
pub async fn sitemap_xml(State(state): State<AppState>) -> AppResult<Response> {
    let vehicles = state
        .db
        .read(|c| repo::unsold(c).map_err(AppError::from))
        .await?;
    let base = state.config.base_url();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for page in [
        "/",
        "/services",
        "/vehicles",
        "/book",
        "/about",
        "/contact",
        "/privacy",
    ] {
        xml.push_str(&format!("<url><loc>{base}{page}</loc></url>\n"));
    }
    for (id, title, updated) in vehicles {
        let path = vehicle_path(&id, &title);
        xml.push_str(&format!(
            "<url><loc>{base}{path}</loc><lastmod>{}</lastmod></url>\n",
            updated.get(..10).unwrap_or(&updated)
        ));
    }
    xml.push_str("</urlset>\n");
    Ok((
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        xml,
    )
        .into_response())
}
