//! Extractors whose rejections use the error shape of SPEC §5 instead of
//! axum's plain-text bodies. Handlers use these, never the stock ones.

use axum::{
    body::Bytes,
    extract::{
        FromRequest, FromRequestParts, Request,
        rejection::{JsonRejection, PathRejection},
    },
    http::{header, request::Parts},
};
use percent_encoding::percent_decode;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// JSON body: 415 without a JSON content type, 400 for malformed JSON,
/// 422 when it parses but does not fit the expected shape, 413 when too large.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

/// URL-encoded form body (HTML forms): 415 for another content type, 413
/// when too large, 400 when malformed or not UTF-8 (browsers send UTF-8;
/// anything else would be stored as U+FFFD by a lossy decoder).
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let form_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !form_type {
            return Err(AppError::UnsupportedMediaType(
                "Expected Content-Type: application/x-www-form-urlencoded.".into(),
            ));
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|r| body_error(r.status(), r.body_text()))?;
        decode(&body).map(Form)
    }
}

/// Query string: 400 when malformed or not UTF-8.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        decode(parts.uri.query().unwrap_or_default().as_bytes()).map(Query)
    }
}

/// Decodes `a=1&b=2` after checking that every name and value is UTF-8.
fn decode<T: DeserializeOwned>(encoded: &[u8]) -> Result<T, AppError> {
    let utf8 = encoded
        .split(|b| *b == b'&' || *b == b'=')
        .all(|part| percent_decode(part).decode_utf8().is_ok());
    if !utf8 {
        return Err(not_utf8());
    }
    serde_urlencoded::from_bytes(encoded).map_err(|e| AppError::bad_request(e.to_string()))
}

/// The 400 for text that is not UTF-8.
pub fn not_utf8() -> AppError {
    AppError::BadRequest {
        code: "invalid_utf8",
        message: "The request holds text that is not UTF-8.".into(),
    }
}

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

impl From<PathRejection> for AppError {
    fn from(_: PathRejection) -> Self {
        AppError::NotFound
    }
}
