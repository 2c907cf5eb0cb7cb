//! `tower::Layer` for [`HelmetService`].

use std::sync::Arc;

use tower_layer::Layer;

use crate::policy::Policy;
use crate::service::HelmetService;

/// Wraps a service so every response gets the header set of its request's path.
#[derive(Debug, Clone)]
pub struct HelmetLayer {
    policy: Arc<Policy>,
    https: bool,
}

impl HelmetLayer {
    /// A layer applying `policy` to a server its clients reach over HTTPS (helmet's
    /// assumption: every header is sent).
    pub fn new(policy: Arc<Policy>) -> Self {
        Self {
            policy,
            https: true,
        }
    }

    /// For a server reached over plain HTTP: responses get the `tls_aware` set (no HSTS, no
    /// `upgrade-insecure-requests`).
    pub fn plain_http(mut self) -> Self {
        self.https = false;
        self
    }
}

impl<S> Layer<S> for HelmetLayer {
    type Service = HelmetService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HelmetService::with_scheme(inner, Arc::clone(&self.policy), self.https)
    }
}
