//! The one seam through which every publish reaches the registries. In
//! process by default; a Redis broker slots in here so several nodes behave
//! as one.

mod memory;

pub use memory::MemoryBroker;

use crate::actors::registry::{Publish, Retain};
use crate::protocol::Topic;
use serde::Serialize;
use std::sync::Arc;

pub trait Broker: Send + Sync {
    /// Hands a publish on; never waits for delivery.
    fn publish(&self, msg: Publish);
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

    /// The same message on several topics (e.g. an event and its round).
    pub fn publish_all<D: Serialize>(&self, topics: &[Topic], kind: &'static str, data: &D, retain: Retain) {
        for t in topics {
            self.publish(*t, kind, data, retain);
        }
    }
}
