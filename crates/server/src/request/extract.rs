//! Extractors whose rejections render as `ApiError`.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::extract::rejection::PathRejection;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// `axum::extract::Path`, except that a path segment that can't be decoded (such as
/// invalid UTF-8) names nothing and so answers 404, like any unknown name.
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(PathParams(v)),
            Err(rejection) => Err(path_rejection(rejection)),
        }
    }
}

fn path_rejection(rejection: PathRejection) -> ApiError {
    match rejection {
        PathRejection::FailedToDeserializePathParams(_) => {
            ApiError::new(depot_api::ErrorKind::NotFound, "no such resource")
        }
        other => ApiError::internal(format!("path extraction: {other}")),
    }
}
