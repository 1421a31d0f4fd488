//! The live WebSocket connections: who is connected to which API and
//! stage, and the channel that reaches each client. They live in memory
//! only: a restart drops every socket, as a redeploy drops AWS's.

use parking_lot::Mutex;
use std::collections::HashMap;
use tokio::sync::mpsc::UnboundedSender;

/// What the management API pushes down a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// A message: text when it is UTF-8, else binary.
    Message(Vec<u8>),
    /// Close the connection (`DeleteConnection`).
    Close,
}

/// One live connection.
#[derive(Clone, Debug)]
pub struct Connection {
    /// The API it connected to.
    pub api_id: String,
    /// The stage.
    pub stage: String,
    /// When it connected, epoch milliseconds.
    pub connected_ms: i64,
    /// When a message last went either way, epoch milliseconds.
    pub last_active_ms: i64,
    /// The client's address.
    pub source_ip: String,
    /// The client's `User-Agent`.
    pub user_agent: String,
    /// Reaches the socket's task.
    pub sender: UnboundedSender<Outgoing>,
}

/// Live connections by connection id.
#[derive(Default)]
pub struct Connections {
    live: Mutex<HashMap<String, Connection>>,
}

impl Connections {
    /// Registers a connection under `id`.
    pub fn add(&self, id: &str, connection: Connection) {
        self.live.lock().insert(id.to_string(), connection);
    }

    /// Forgets connection `id`.
    pub fn remove(&self, id: &str) -> Option<Connection> {
        self.live.lock().remove(id)
    }

    /// A copy of connection `id`'s record.
    pub fn get(&self, id: &str) -> Option<Connection> {
        self.live.lock().get(id).cloned()
    }

    /// Marks connection `id` active at `now_ms`.
    pub fn touch(&self, id: &str, now_ms: i64) {
        if let Some(c) = self.live.lock().get_mut(id) {
            c.last_active_ms = now_ms;
        }
    }

    /// Sends `what` to connection `id`; `false` when it is gone.
    pub fn send(&self, id: &str, what: Outgoing, now_ms: i64) -> bool {
        let mut live = self.live.lock();
        let Some(c) = live.get_mut(id) else {
            return false;
        };
        c.last_active_ms = now_ms;
        if c.sender.send(what).is_err() {
            live.remove(id);
            return false;
        }
        true
    }

    /// Closes every connection to API `api_id` (the API was deleted).
    pub fn close_api(&self, api_id: &str) {
        let mut live = self.live.lock();
        live.retain(|_, c| {
            if c.api_id == api_id {
                let _ = c.sender.send(Outgoing::Close);
                false
            } else {
                true
            }
        });
    }

    /// A fresh connection id (AWS's look: 16 base64 characters).
    pub fn new_id() -> String {
        use base64::Engine;
        use rand::RngCore;
        let mut b = [0u8; 10];
        rand::thread_rng().fill_bytes(&mut b);
        base64::engine::general_purpose::STANDARD.encode(b)
    }
}
