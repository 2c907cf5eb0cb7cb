//! `tower::Layer` for [`HelmetService`].

use std::sync::Arc;

use tower_layer::Layer;

use crate::policy::Policy;
use crate::service::HelmetService;

/// Wraps a service so every response gets the header set of its request's path.
#[derive(Debug, Clone)]
pub struct HelmetLayer {
    policy: Arc<Policy>,
}

impl HelmetLayer {
    /// A layer applying `policy`.
    pub fn new(policy: Arc<Policy>) -> Self {
        Self { policy }
    }
}

impl<S> Layer<S> for HelmetLayer {
    type Service = HelmetService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HelmetService::new(inner, Arc::clone(&self.policy))
    }
}
