//! The one seam through which every publish reaches the registries. In
//! process by default; a Redis broker slots in here so several nodes behave
//! as one.

mod memory;

pub use memory::MemoryBroker;

use crate::actors::registry::{Publish, Retain};
use crate::protocol::Topic;
use futures_util::future::BoxFuture;
use serde::Serialize;
use std::sync::Arc;

pub trait Broker: Send + Sync {
    /// Hands a publish on; never waits for delivery.
    fn publish(&self, msg: Publish);

    /// Publishes unless `key` was published before; resolves to whether it
    /// was published now. The key store lives with the broker so that, with
    /// several nodes, a retry to another node is still deduplicated.
    fn publish_once(&self, key: String, msg: Publish) -> BoxFuture<'static, anyhow::Result<bool>>;
}

#[derive(Clone)]
pub struct Bus(Arc<dyn Broker>);

impl Bus {
    pub fn new(broker: impl Broker + 'static) -> Self {
        Self(Arc::new(broker))
    }

    pub fn publish<D: Serialize>(&self, topic: Topic, kind: &'static str, data: &D, retain: Retain) {
        if let Some(msg) = Publish::new(topic, kind, data, retain) {
            self.0.publish(msg);
        }
    }

    /// A publish already serialized (custom messages).
    pub fn publish_raw(&self, msg: Publish) {
        self.0.publish(msg);
    }

    pub async fn publish_once(&self, key: String, msg: Publish) -> anyhow::Result<bool> {
        self.0.publish_once(key, msg).await
    }

    /// The same message on several topics (e.g. an event and its round).
    pub fn publish_all<D: Serialize>(&self, topics: &[Topic], kind: &'static str, data: &D, retain: Retain) {
        for t in topics {
            self.publish(*t, kind, data, retain);
        }
    }
}
