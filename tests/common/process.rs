//! Running the `rollup` binary: with a clean environment, and never longer than a deadline, so a
//! hung run fails its test with what it wrote instead of hanging `make test`.
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one `rollup` command may take before the test kills it and fails: far above what a
/// run on Pagila needs on a loaded machine, far below "forever".
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

/// `rollup ARGS` with default settings, whatever the developer's shell exports: no ROLLUP_*
/// setting and no libpq variable (PGPASSFILE, PGHOST, ...) reaches it, nor RUST_LOG,
/// SOURCE_URL, ROLLUP_URL or FDW_SOURCE_URL; the caller sets what the test means to give.
pub fn rollup(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rollup"));
    command.args(args);
    for (variable, _) in std::env::vars_os() {
        let name = variable.to_string_lossy();
        if name.starts_with("ROLLUP_")
            || name.starts_with("PG")
            || ["RUST_LOG", "SOURCE_URL", "FDW_SOURCE_URL"].contains(&name.as_ref())
        {
            command.env_remove(&variable);
        }
    }
    command
}

/// Runs `command` to its end, collecting its output, like `Command::output`, but kills it and
/// fails the test, showing what it wrote, if it has not ended within `timeout`.
pub fn output_within(mut command: Command, timeout: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("start {command:?}: {error}"));
    let collect = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = collect(Box::new(child.stdout.take().expect("stdout is piped")));
    let stderr = collect(Box::new(child.stderr.take().expect("stderr is piped")));
    let status = wait_within(&mut child, timeout);
    let stdout = stdout.join().expect("the stdout reader ends with the process");
    let stderr = stderr.join().expect("the stderr reader ends with the process");
    match status {
        Some(status) => Output { status, stdout, stderr },
        None => panic!(
            "{command:?} did not end within {timeout:?} and was killed; it wrote:\n{}{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        ),
    }
}

/// Waits for `child` to end, at most `timeout`: its status, or None after killing it.
pub fn wait_within(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("the child's status can be read") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `work` on a thread of its own and returns what it returns, or fails the test if it has
/// not finished within `timeout`: for blocking reads that a deadline checked afterwards would
/// not bound. (The thread is left behind on a timeout; the failing test ends the process.)
pub fn within<T: Send + 'static>(
    what: &str,
    timeout: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(work());
    });
    match receiver.recv_timeout(timeout) {
        Ok(value) => value,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("{what}: not done within {timeout:?}"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: its thread panicked"),
    }
}

/// Starts `command` in the background, its standard error collected as it comes, so the test
/// can wait for a line (a failpoint pausing) and act on the servers meanwhile.
pub fn spawn(mut command: Command) -> Running {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rollup binary starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let log = Arc::new(Mutex::new(String::new()));
    let collected = Arc::clone(&log);
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut log = collected.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    Running { child, log, reader: Some(reader) }
}

/// A `rollup` started by [`spawn`] (or `Scenario::spawn`). Every wait on it is bounded, and
/// dropping it kills the process if it still runs.
pub struct Running {
    child: Child,
    log: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Waits until standard error has a line containing `needle`; fails the test after `timeout`
    /// or when the process ends first, showing what it wrote. Polls what the reader thread
    /// collected, so the wait itself is bounded.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.log().contains(needle) {
                return;
            }
            let ended = self.child.try_wait().unwrap().is_some();
            if ended || Instant::now() > deadline {
                std::thread::sleep(Duration::from_millis(100)); // the last lines
                assert!(
                    self.log().contains(needle),
                    "{needle:?} never came ({}):\n{}",
                    if ended { "the process ended" } else { "timed out" },
                    self.log()
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What it wrote to standard error so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Waits for the end (killing it after `timeout`); its exit code (None: killed) and stderr.
    pub fn finish(mut self, timeout: Duration) -> (Option<i32>, String) {
        let status = wait_within(&mut self.child, timeout);
        if let Some(reader) = self.reader.take() {
            // the process has ended, so its stderr is closed and the reader ends
            reader.join().unwrap();
        }
        (status.and_then(|status| status.code()), self.log())
    }

    /// SIGKILL, like a machine going down under the run.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A file whose existence resumes a run paused at a failpoint (ROLLUP_FAILPOINT_RESUME).
pub struct ResumeFile(pub std::path::PathBuf);

impl ResumeFile {
    pub fn new(name: &str) -> ResumeFile {
        let path =
            std::env::temp_dir().join(format!("pagila-rollup-resume-{name}-{}", super::unique_suffix()));
        let _ = std::fs::remove_file(&path);
        ResumeFile(path)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().expect("temporary paths are UTF-8")
    }

    pub fn resume(&self) {
        std::fs::write(&self.0, b"").unwrap();
    }
}

impl Drop for ResumeFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
