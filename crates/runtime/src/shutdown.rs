//! One shutdown signal per process. Servers and workers take a [`Shutdown`]
//! and wait on it; SIGTERM or SIGINT (or a test) triggers it once for all.

use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct Shutdown {
    sender: std::sync::Arc<watch::Sender<bool>>,
    receiver: watch::Receiver<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        let (sender, receiver) = watch::channel(false);
        Shutdown {
            sender: std::sync::Arc::new(sender),
            receiver,
        }
    }

    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Resolves once the shutdown is triggered (at once if it already was).
    pub async fn wait(&self) {
        let mut receiver = self.receiver.clone();
        // An error means every sender is gone: nobody can trigger it any more,
        // and a process that lost its trigger should stop too.
        let _ = receiver.wait_for(|triggered| *triggered).await;
    }

    /// Triggers on SIGTERM (what Kubernetes sends) or SIGINT (Ctrl-C).
    pub fn trigger_on_signals(&self) -> std::io::Result<tokio::task::JoinHandle<()>> {
        #[cfg(unix)]
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let this = self.clone();
        Ok(tokio::spawn(async move {
            #[cfg(unix)]
            tokio::select! {
                _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
                _ = terminate.recv() => tracing::info!("SIGTERM: shutting down"),
                () = this.wait() => return,
            }
            #[cfg(not(unix))]
            tokio::select! {
                _ = tokio::signal::ctrl_c() => tracing::info!("interrupt: shutting down"),
                () = this.wait() => return,
            }
            this.trigger();
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_listener_hears_one_trigger() {
        let shutdown = Shutdown::new();
        let listeners: Vec<_> = (0..3)
            .map(|_| {
                let s = shutdown.clone();
                tokio::spawn(async move { s.wait().await })
            })
            .collect();
        assert!(!shutdown.is_triggered());
        shutdown.trigger();
        for l in listeners {
            tokio::time::timeout(std::time::Duration::from_secs(5), l)
                .await
                .expect("heard in time")
                .expect("listener ran");
        }
        shutdown.wait().await; // a late listener returns at once
    }
}
