//! Extractors whose rejections use the error shape of SPEC §5 instead of
//! axum's plain-text bodies. Handlers use these, never the stock ones.

use axum::extract::{
    FromRequest, FromRequestParts,
    rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection},
};

use crate::error::AppError;

/// JSON body: 415 without a JSON content type, 400 for malformed JSON,
/// 422 when it parses but does not fit the expected shape, 413 when too large.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

/// URL-encoded form body (HTML forms).
#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct Form<T>(pub T);

/// Query string.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

/// Path parameters.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

fn body_error(status: axum::http::StatusCode, message: String) -> AppError {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge("The request body is too large.".into())
    } else {
        AppError::bad_request(message)
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                AppError::UnsupportedMediaType("Expected Content-Type: application/json.".into())
            }
            JsonRejection::JsonSyntaxError(_) => AppError::BadRequest {
                code: "malformed_json",
                message: "The request body is not valid JSON.".into(),
            },
            JsonRejection::JsonDataError(e) => {
                let mut fields = crate::error::FieldErrors::new();
                fields.add("body", e.body_text());
                AppError::Validation(fields)
            }
            other => body_error(other.status(), other.body_text()),
        }
    }
}

impl From<FormRejection> for AppError {
    fn from(r: FormRejection) -> Self {
        match r {
            FormRejection::InvalidFormContentType(_) => AppError::UnsupportedMediaType(
                "Expected Content-Type: application/x-www-form-urlencoded.".into(),
            ),
            other => body_error(other.status(), other.body_text()),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::bad_request(r.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(_: PathRejection) -> Self {
        AppError::NotFound
    }
}
