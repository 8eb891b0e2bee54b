//! Group commit for a SQLite file of its own beside the events (the
//! personal-data keys, the read audit): many callers' small writes waiting
//! at once are committed in one durable transaction by one thread, so a
//! busy moment pays one fsync for many, not one each.

use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, Transaction};
use tokio::sync::oneshot;

type Waiting<T, R> = (T, oneshot::Sender<Result<R, String>>);

/// The writes waiting for the committing thread. Dropping every clone
/// stops the thread once it has committed what it holds.
#[derive(Debug)]
pub struct GroupCommit<T, R> {
    waiting: std::sync::mpsc::Sender<Waiting<T, R>>,
}

impl<T, R> Clone for GroupCommit<T, R> {
    fn clone(&self) -> Self {
        GroupCommit {
            waiting: self.waiting.clone(),
        }
    }
}

impl<T: Send + 'static, R: Send + 'static> GroupCommit<T, R> {
    /// Starts the thread `name`, committing up to `most` writes per
    /// transaction on `connection` (shared with the file's readers), each
    /// written by `write` (whose answer goes back to its caller). A failed
    /// transaction fails every write in it.
    pub fn start(
        name: &str,
        connection: Arc<Mutex<Connection>>,
        most: usize,
        write: impl Fn(&Transaction<'_>, &T) -> rusqlite::Result<R> + Send + 'static,
    ) -> std::io::Result<Self> {
        let (waiting, queue) = std::sync::mpsc::channel::<Waiting<T, R>>();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    let mut batch = vec![first];
                    while batch.len() < most {
                        match queue.try_recv() {
                            Ok(more) => batch.push(more),
                            Err(_) => break,
                        }
                    }
                    let mut c = connection.lock().unwrap_or_else(PoisonError::into_inner);
                    let written: rusqlite::Result<Vec<R>> = (|| {
                        let tx = c.transaction()?;
                        let answers = batch
                            .iter()
                            .map(|(item, _)| write(&tx, item))
                            .collect::<rusqlite::Result<Vec<R>>>()?;
                        tx.commit()?;
                        Ok(answers)
                    })();
                    drop(c);
                    match written {
                        Ok(answers) => {
                            for ((_, reply), answer) in batch.into_iter().zip(answers) {
                                // A caller that gave up is fine.
                                let _ = reply.send(Ok(answer));
                            }
                        }
                        Err(error) => {
                            for (_, reply) in batch {
                                let _ = reply.send(Err(error.to_string()));
                            }
                        }
                    }
                }
            })?;
        Ok(GroupCommit { waiting })
    }

    /// Writes `item` with the others waiting; returns once it is committed.
    pub async fn write(&self, item: T) -> Result<R, String> {
        let (reply, answer) = oneshot::channel();
        self.waiting
            .send((item, reply))
            .map_err(|_| "the committing thread has stopped".to_owned())?;
        answer
            .await
            .map_err(|_| "the committing thread has stopped".to_owned())?
    }
}
