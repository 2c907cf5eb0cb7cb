//! The service behind [`HelmetLayer`](crate::HelmetLayer).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::{Request, Response};
use tower_service::Service;

use crate::nonce::CspNonce;
use crate::policy::Policy;

/// Adds the policy's headers to the inner service's responses.
///
/// When the request path's set wants a nonce, a fresh [`CspNonce`] is put into the request
/// extensions before the inner service runs, so handlers can write it into their pages.
#[derive(Debug, Clone)]
pub struct HelmetService<S> {
    inner: S,
    policy: Arc<Policy>,
    https: bool,
}

impl<S> HelmetService<S> {
    /// Wraps `inner`, whose clients reach it over HTTPS (helmet's assumption).
    pub fn new(inner: S, policy: Arc<Policy>) -> Self {
        Self::with_scheme(inner, policy, true)
    }

    /// Wraps `inner`; `https: false` for a server clients reach over plain HTTP, which then
    /// gets the `tls_aware` set (no HSTS, no `upgrade-insecure-requests`).
    pub fn with_scheme(inner: S, policy: Arc<Policy>, https: bool) -> Self {
        Self {
            inner,
            policy,
            https,
        }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for HelmetService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let selected = self.policy.select(req.uri().path());
        let wants_nonce = self.policy.set(selected, self.https).wants_nonce();
        let nonce = wants_nonce.then(CspNonce::generate);
        if let Some(nonce) = &nonce {
            req.extensions_mut().insert(nonce.clone());
        }
        ResponseFuture {
            inner: self.inner.call(req),
            policy: Some((Arc::clone(&self.policy), selected, self.https)),
            nonce,
        }
    }
}

pin_project_lite::pin_project! {
    /// Response future of [`HelmetService`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        policy: Option<(Arc<Policy>, Option<usize>, bool)>,
        nonce: Option<CspNonce>,
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        if let Some((policy, selected, https)) = this.policy.take() {
            let set = policy.set(selected, https);
            set.apply(response.headers_mut(), this.nonce.as_ref());
        }
        Poll::Ready(Ok(response))
    }
}
