use super::Broker;
use crate::actors::registry::{Publish, Registry};
use actix::Addr;

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
}
