//! Small layers inside the router: route tags for the metrics, and panics.

use crate::error::ApiError;
use crate::http::BoxFuture;
use axum::extract::{MatchedPath, Request};
use axum::response::{IntoResponse, Response};
use std::any::Any;
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::{OnceLock, RwLock};
use std::task::{Context, Poll};
use tower::layer::layer_fn;
use tower::{Layer, Service};

/// The route template that served a request, passed out to [`crate::http::edge`].
#[derive(Clone, Copy, Debug)]
pub struct RouteTag(pub &'static str);

/// Inside the router (a route layer): tags the response with its route template, so
/// metrics are labelled by route rather than by every distinct path.
pub fn tag_route<S>() -> impl Layer<S, Service = TagRoute<S>> + Clone {
    layer_fn(|inner| TagRoute { inner })
}

#[derive(Clone, Debug)]
pub struct TagRoute<S> {
    inner: S,
}

impl<S> Service<Request> for TagRoute<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> BoxFuture {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map(|m| intern(m.as_str()));
        let answer = self.inner.call(request);
        Box::pin(async move {
            let mut response = answer.await?;
            if let Some(route) = route {
                response.extensions_mut().insert(RouteTag(route));
            }
            Ok(response)
        })
    }
}

/// The one `'static` copy of a route template. Templates come from the route table,
/// never from a request, so the set is small and fixed; metrics labels then need no
/// allocation per request.
fn intern(route: &str) -> &'static str {
    static ROUTES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(RwLock::default);
    let known = routes
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(route)
        .copied();
    known.unwrap_or_else(|| {
        let mut routes = routes.write().unwrap_or_else(|e| e.into_inner());
        match routes.get(route) {
            Some(r) => r,
            None => {
                let r: &'static str = Box::leak(route.into());
                routes.insert(r);
                r
            }
        }
    })
}

/// A panic in a handler becomes a 500 in the envelope; the message goes to the log.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned());
    ApiError::internal(format!("panic: {detail}")).into_response()
}
