//! Logging of the server and the commands: levels, and the batched writer when stderr is a
//! file or a pipe.

/// Starts logging to standard error at `level` (`error`, `warn`, `info`, `debug`, `trace` or
/// `off`); `RUST_LOG`, when set, adds finer per-module filters. Never fails if logging is already
/// set up.
///
/// When standard error is not a terminal (a service's log file or collector), records go through
/// a bounded channel to a writer thread that writes whatever has queued up in one system call:
/// under load the per-request access log then costs a memory copy instead of a write per request.
/// [`flush_logs`] waits until everything logged so far is written.
pub fn init_logging(level: &str) -> Result<(), String> {
    let level = level.trim().to_ascii_lowercase();
    if level.parse::<log::LevelFilter>().is_err() {
        return Err(format!(
            "invalid log level {level:?}: use error, warn, info, debug, trace or off"
        ));
    }
    let mut builder = env_logger::Builder::new();
    builder.parse_filters(&level).format_timestamp_millis();
    if let Ok(filters) = std::env::var("RUST_LOG") {
        builder.parse_filters(&filters);
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        builder
            .write_style(env_logger::WriteStyle::Never)
            .target(env_logger::Target::Pipe(Box::new(log_writer::ChannelWriter::start())));
    }
    let _ = builder.try_init();
    Ok(())
}

/// Waits (up to a second) until every record logged so far has been written.
pub fn flush_logs() {
    log_writer::flush(std::time::Duration::from_secs(1));
}

mod log_writer {
    use std::io::Write;
    use std::sync::OnceLock;
    use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
    use std::time::Duration;

    /// Records waiting to be written before logging callers wait for the writer.
    const QUEUE: usize = 16_384;
    /// Largest batch written at once, in bytes.
    const BATCH: usize = 256 * 1024;

    enum Message {
        Record(Vec<u8>),
        Flush(SyncSender<()>),
    }

    static QUEUE_SENDER: OnceLock<SyncSender<Message>> = OnceLock::new();

    /// The logger's target: collects one record, hands it to the writer thread on flush.
    pub struct ChannelWriter {
        sender: SyncSender<Message>,
        record: Vec<u8>,
    }

    impl ChannelWriter {
        pub fn start() -> ChannelWriter {
            let sender = QUEUE_SENDER
                .get_or_init(|| {
                    let (sender, receiver) = sync_channel(QUEUE);
                    let spawned = std::thread::Builder::new()
                        .name("persona-log".into())
                        .spawn(move || write_batches(receiver, std::io::stderr()));
                    if let Err(e) = spawned {
                        eprintln!("cannot start the log writer thread: {e}");
                    }
                    sender
                })
                .clone();
            ChannelWriter {
                sender,
                record: Vec::new(),
            }
        }
    }

    impl Write for ChannelWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.record.extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            if !self.record.is_empty() {
                let record = std::mem::take(&mut self.record);
                if let Err(unsent) = self.sender.send(Message::Record(record)) {
                    // The writer thread is gone: write directly.
                    if let Message::Record(bytes) = unsent.0 {
                        std::io::stderr().write_all(&bytes)?;
                    }
                }
            }
            Ok(())
        }
    }

    fn write_batches(receiver: Receiver<Message>, mut output: impl Write) {
        let mut batch = Vec::with_capacity(BATCH);
        let mut acks = Vec::new();
        while let Ok(first) = receiver.recv() {
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Message::Record(bytes) => batch.extend_from_slice(&bytes),
                    Message::Flush(ack) => acks.push(ack),
                }
                if batch.len() < BATCH {
                    next = receiver.try_recv().ok();
                }
            }
            let _ = output.write_all(&batch).and_then(|()| output.flush());
            batch.clear();
            for ack in acks.drain(..) {
                let _ = ack.send(());
            }
        }
    }

    pub fn flush(timeout: Duration) {
        if let Some(sender) = QUEUE_SENDER.get() {
            let (ack, done) = sync_channel(1);
            if sender.send(Message::Flush(ack)).is_ok() {
                let _ = done.recv_timeout(timeout);
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::sync::{Arc, Mutex};

        #[derive(Clone, Default)]
        struct Shared(Arc<Mutex<Vec<u8>>>);

        impl Write for Shared {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        #[test]
        fn records_are_written_in_order_and_flush_waits_for_them() {
            let (sender, receiver) = sync_channel(QUEUE);
            let output = Shared::default();
            let writer_output = output.clone();
            let thread = std::thread::spawn(move || write_batches(receiver, writer_output));
            let mut writer = ChannelWriter {
                sender: sender.clone(),
                record: Vec::new(),
            };
            for i in 0..1000 {
                write!(writer, "line {i}").unwrap();
                writeln!(writer).unwrap();
                writer.flush().unwrap();
            }
            let (ack, done) = sync_channel(1);
            sender.send(Message::Flush(ack)).unwrap();
            done.recv_timeout(Duration::from_secs(5)).unwrap();
            let text = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 1000);
            assert_eq!((lines[0], lines[999]), ("line 0", "line 999"));
            drop((sender, writer));
            thread.join().unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_levels_are_checked() {
        assert!(super::init_logging("warn").is_ok());
        assert!(super::init_logging("loud").unwrap_err().contains("loud"));
    }
}
