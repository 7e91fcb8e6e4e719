//! The JSON API's route table and its OpenAPI document.
//!
//! Every `/v1` endpoint is registered here through `routes!`, which adds the
//! handler's `#[utoipa::path]` to the document in the same step: an endpoint
//! cannot be served without being documented.

use std::sync::Arc;

use axum::{Extension, Json, Router, middleware, routing::get};
use utoipa::OpenApi;
use utoipa_axum::{
    router::{OpenApiRouter, UtoipaMethodRouterExt},
    routes,
};

use crate::{state::AppState, upload, web};

#[derive(OpenApi)]
#[openapi(
    // The document's own route is served below, outside `routes!`.
    paths(openapi_json),
    modifiers(&BearerAuth),
    info(
        title = "Daytona API",
        description = "Workshop bookings and vehicle stock for a car dealership. \
                       Errors: {\"error\": {\"code\", \"message\", \"fields\"?}}."
    ),
    tags(
        (name = "ops", description = "Health and operations"),
        (name = "bookings", description = "Workshop slots and bookings"),
        (name = "vehicles", description = "Vehicles for sale and inquiries about them"),
        (name = "auth", description = "Staff sign-in for the admin API"),
        (name = "admin", description = "Staff administration (bearer token, admin_allow networks only)"),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

/// Declares the `bearer` scheme that the admin operations refer to.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Declares the error answers that the shared machinery gives, so that no
/// handler can forget one: the extractors (400 for a malformed body or
/// query, 413, 415, 422 for a body of the wrong shape), the path ids (404:
/// a malformed id is unknown), sign-in (401) and `admin_allow` (403). The
/// conformance test in `tests/app/openapi.rs` drives every operation into
/// these answers and checks that each is declared.
struct StandardAnswers;

impl utoipa::Modify for StandardAnswers {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for item in doc.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                let params = op.parameters.as_deref().unwrap_or_default();
                let in_path = params.iter().any(|p| {
                    matches!(p, utoipa::openapi::RefOr::T(p) if p.parameter_in == ParameterIn::Path)
                });
                let in_query = params.iter().any(|p| {
                    matches!(p, utoipa::openapi::RefOr::T(p) if p.parameter_in == ParameterIn::Query)
                });
                let mut answers = Vec::new();
                if op.request_body.is_some() {
                    answers.extend([
                        (400, "Malformed body"),
                        (413, "Body too large"),
                        (415, "Unsupported content type"),
                        (422, "Validation failed; `fields` names each bad field"),
                    ]);
                }
                if in_query {
                    answers.extend([
                        (400, "Malformed query string"),
                        (422, "A filter or paging value is not valid"),
                    ]);
                }
                if in_path {
                    answers.push((404, "Not found (an unknown or malformed id)"));
                }
                if op.security.is_some() {
                    answers.extend([
                        (401, "Not signed in, or the token expired"),
                        (
                            403,
                            "The role does not allow it, or the address is outside admin_allow",
                        ),
                    ]);
                }
                for (status, why) in answers {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error_answer(why));
                }
            }
        }
    }
}

fn error_answer(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    utoipa::openapi::ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .into()
}

/// The OpenAPI 3 document of this API.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json"))
)]
async fn openapi_json(
    Extension(doc): Extension<Arc<utoipa::openapi::OpenApi>>,
) -> Json<utoipa::openapi::OpenApi> {
    Json(doc.as_ref().clone())
}

/// Routes of the JSON API plus `/healthz`, with the document served at `/v1/openapi.json`.
pub fn router() -> Router<AppState> {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(crate::ops::healthz))
        .routes(routes!(crate::bookings::api::availability))
        // Multipart bookings carry a photo; JSON ones and other routes keep
        // the small default limit.
        .routes(
            routes!(crate::bookings::api::create).layer(middleware::from_fn_with_state(
                upload::BODY_LIMIT,
                web::multipart_limit,
            )),
        )
        .routes(routes!(crate::bookings::api::lookup))
        .routes(routes!(crate::bookings::api::cancel))
        .routes(routes!(crate::auth::api::login))
        .routes(routes!(crate::auth::api::logout))
        .routes(routes!(crate::auth::api::me))
        .routes(routes!(crate::bookings::admin_api::list))
        .routes(routes!(crate::bookings::admin_api::export_csv))
        .routes(routes!(
            crate::bookings::admin_api::detail,
            crate::bookings::admin_api::patch
        ))
        .routes(routes!(crate::bookings::admin_api::checkin))
        .routes(routes!(crate::vehicles::api::list))
        .routes(routes!(crate::vehicles::api::detail))
        .routes(routes!(crate::leads::api::create))
        .routes(routes!(
            crate::vehicles::api::admin_list,
            crate::vehicles::api::admin_create
        ))
        .routes(routes!(
            crate::vehicles::api::admin_update,
            crate::vehicles::api::admin_delete
        ))
        .routes(routes!(crate::vehicles::api::admin_add_image).layer(
            middleware::from_fn_with_state(upload::BODY_LIMIT, web::multipart_limit),
        ))
        .routes(routes!(
            crate::vehicles::api::admin_update_image,
            crate::vehicles::api::admin_delete_image
        ))
        .routes(routes!(crate::leads::api::list))
        .routes(routes!(crate::leads::api::patch))
        .routes(routes!(crate::ops::audit_log::api_list))
        .routes(routes!(crate::notifications::admin::api_list))
        .routes(routes!(crate::notifications::admin::api_test))
        .routes(routes!(crate::notifications::admin::api_resend))
        .routes(routes!(
            crate::auth::users::api_list,
            crate::auth::users::api_create
        ))
        .routes(routes!(crate::auth::users::api_update))
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    // After `split_for_parts`: only now does the document hold every route.
    utoipa::Modify::modify(&StandardAnswers, &mut doc);
    // The document describes the finished router, so it is served from an
    // extension rather than registered through `routes!` itself.
    router.route(
        "/v1/openapi.json",
        get(openapi_json).layer(Extension(Arc::new(doc))),
    )
}
