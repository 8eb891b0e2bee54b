//! The phone firewall's blocklist as partners screen it: a read model kept
//! from the blocklist events. A verdict says blocked or not and, if
//! blocked, since when and in which category: never the alert, the victim
//! or the analyst's reason. The lookup is the whole of a screening call,
//! so it is one hash probe on an integer key.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use minsheng_contracts::fraud::NumberBlocked;

use super::events::{BlockCategory, FraudEvent};
use super::values::Number;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub since: DateTime<Utc>,
    pub category: BlockCategory,
}

#[derive(Debug, Default)]
pub struct Blocklist {
    blocked: HashMap<Number, Block>,
}

impl Blocklist {
    pub fn new() -> Self {
        Self::default()
    }

    /// `None`: not blocked.
    pub fn screen(&self, number: Number) -> Option<Block> {
        self.blocked.get(&number).copied()
    }

    pub fn len(&self) -> usize {
        self.blocked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blocked.is_empty()
    }

    pub fn apply(&mut self, event: &FraudEvent) {
        match event {
            FraudEvent::NumberBlocked(NumberBlocked {
                number,
                category,
                at,
                ..
            }) => {
                self.blocked.insert(
                    *number,
                    Block {
                        since: *at,
                        category: *category,
                    },
                );
            }
            FraudEvent::NumberUnblocked { number, .. } => {
                self.blocked.remove(number);
            }
            _ => {}
        }
    }
}
