use super::Broker;
use crate::actors::registry::{Publish, PublishOnce, Registry};
use actix::Addr;
use futures_util::future::BoxFuture;

/// Single-node bus: straight into the local registry's mailbox.
pub struct MemoryBroker {
    registry: Addr<Registry>,
}

impl MemoryBroker {
    pub fn new(registry: Addr<Registry>) -> Self {
        Self { registry }
    }
}

impl Broker for MemoryBroker {
    fn publish(&self, msg: Publish) {
        self.registry.do_send(msg);
    }

    fn publish_once(&self, key: String, publish: Publish) -> BoxFuture<'static, anyhow::Result<bool>> {
        let registry = self.registry.clone();
        Box::pin(async move { Ok(registry.send(PublishOnce { key, publish }).await?) })
    }
}
