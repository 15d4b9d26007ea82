//! Runs the `ck8s-gen` binary hermetically: an empty environment but for `PATH`, `HOME` in an
//! empty scratch directory, a pinned "today", no colour, no render record, a given working
//! directory and stdin.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use super::TODAY;

/// `HOME` for every run: an empty directory under cargo's scratch space for tests, so nothing
/// from the caller's home (git configuration, caches) reaches the binary.
fn home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ck8s-gen-home");
        std::fs::create_dir_all(&home).expect("create the scratch HOME");
        home
    })
}

/// A run of `ck8s-gen` being set up: see [`ck8s_gen_in`].
#[must_use]
pub struct Run {
    dir: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, Option<OsString>)>,
    stdin: Option<Vec<u8>>,
}

/// `ck8s-gen`, to run in `dir` with nothing of the caller's environment: only `PATH`, `HOME`
/// (an empty scratch directory), `CK8S_GEN_TODAY` ([`TODAY`] unless [`Run::today`] says
/// otherwise), `NO_COLOR=1` and `CK8S_GEN_NO_CACHE=1` (every run renders in full; `tests/cache.rs`
/// turns the no-change record on); stdin is empty unless [`Run::stdin`] gives bytes.
pub fn ck8s_gen_in(dir: &Path) -> Run {
    Run {
        dir: dir.to_path_buf(),
        args: Vec::new(),
        env: Vec::new(),
        stdin: None,
    }
}

impl Run {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Set a variable (after the defaults, so it overrides them).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    pub fn envs<'a>(mut self, vars: impl IntoIterator<Item = &'a (&'a str, &'a str)>) -> Self {
        for (k, v) in vars {
            self = self.env(k, v);
        }
        self
    }

    /// Leave a default variable out (e.g. `CK8S_GEN_TODAY`, to let the binary read the clock).
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_owned(), None));
        self
    }

    /// Run on another day than [`TODAY`].
    pub fn today(self, day: &str) -> Self {
        self.env("CK8S_GEN_TODAY", day)
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// The command line, for assertion messages.
    fn label(&self) -> String {
        let args: Vec<_> = self.args.iter().map(|a| a.to_string_lossy()).collect();
        format!("ck8s-gen {} (in {})", args.join(" "), self.dir.display())
    }

    /// The hermetic [`Command`], for a test that spawns the process itself (to kill it or
    /// run two at once); stdin is null, stdout and stderr inherited unless the test sets them.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ck8s-gen"));
        command
            .args(&self.args)
            .current_dir(&self.dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home())
            .env("CK8S_GEN_TODAY", TODAY)
            .env("NO_COLOR", "1")
            .env("CK8S_GEN_NO_CACHE", "1")
            .stdin(Stdio::null());
        for (key, value) in &self.env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
    }

    /// Run to completion, capturing stdout and stderr.
    #[track_caller]
    pub fn run(self) -> Ran {
        let label = self.label();
        let mut command = self.command();
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        if self.stdin.is_some() {
            command.stdin(Stdio::piped());
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{label}: cannot start: {e}"));
        if let Some(bytes) = &self.stdin {
            let mut pipe = child.stdin.take().expect("stdin is piped");
            // The binary may exit before reading everything: a broken pipe is its answer.
            let _ = pipe.write_all(bytes);
        }
        let output = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("{label}: cannot wait: {e}"));
        Ran { output, label }
    }
}

/// A finished run: the [`Output`] (through `Deref`) and assertions that say what ran.
pub struct Ran {
    output: Output,
    label: String,
}

/// `{:?}` shows the command line, the status and both streams as text.
impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Deref for Ran {
    type Target = Output;
    fn deref(&self) -> &Output {
        &self.output
    }
}

impl Ran {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The exit status, `None` when a signal ended the process.
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// What ran and what it printed, for a failed assertion.
    pub fn describe(&self) -> String {
        format!(
            "{}\nexit status: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.label,
            self.output.status,
            self.stdout_text(),
            self.stderr_text()
        )
    }

    /// Assert the exit status is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(code),
            "expected exit status {code}: {}",
            self.describe()
        );
        self
    }

    /// Assert the run succeeded (exit status 0).
    #[track_caller]
    pub fn expect_success(&self) -> &Self {
        self.expect_code(0)
    }

    pub fn into_output(self) -> Output {
        self.output
    }
}

/// The run's environment is exactly the defaults plus what the test sets.
#[test]
fn a_run_has_only_the_hermetic_environment() {
    let dir = Path::new("/");
    let vars = |run: Run| -> Vec<(String, Option<String>)> {
        let command = run.command();
        let mut vars: Vec<_> = command
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        vars.sort();
        vars
    };
    let names = |vars: &[(String, Option<String>)]| -> Vec<String> {
        vars.iter().map(|(k, _)| k.clone()).collect()
    };
    let value = |vars: &[(String, Option<String>)], key: &str| {
        vars.iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.clone())
    };
    let plain = vars(ck8s_gen_in(dir));
    assert_eq!(
        names(&plain),
        [
            "CK8S_GEN_NO_CACHE",
            "CK8S_GEN_TODAY",
            "HOME",
            "NO_COLOR",
            "PATH"
        ]
    );
    assert_eq!(value(&plain, "CK8S_GEN_TODAY").as_deref(), Some(TODAY));
    assert_eq!(
        value(&plain, "HOME").map(PathBuf::from).as_deref(),
        Some(home())
    );
    let home_entries = std::fs::read_dir(home()).expect("read HOME").count();
    assert_eq!(home_entries, 0, "nothing writes to the scratch HOME");

    let set = vars(
        ck8s_gen_in(dir)
            .today("2027-03-10")
            .env("ARGOCD_ENV_ENVIRONMENT", "dev-se")
            .env_remove("NO_COLOR"),
    );
    assert_eq!(value(&set, "CK8S_GEN_TODAY").as_deref(), Some("2027-03-10"));
    assert_eq!(
        value(&set, "ARGOCD_ENV_ENVIRONMENT").as_deref(),
        Some("dev-se")
    );
    assert_eq!(value(&set, "NO_COLOR"), None, "removed");
}

/// Bytes given as stdin reach the process, and a failed run's message shows what ran.
#[test]
fn a_run_feeds_stdin_and_describes_itself() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // No `environments/` here (exit 2); the binary never reads stdin, so a large stdin must
    // neither hang the run nor change the answer.
    let with = ck8s_gen_in(tmp.path())
        .args(["validate"])
        .stdin(vec![b'x'; 1 << 20])
        .run();
    let without = ck8s_gen_in(tmp.path()).args(["validate"]).run();
    assert_eq!(with.code(), without.code(), "{with:?}");
    assert_eq!(with.stderr, without.stderr);
    with.expect_code(2);
    let text = format!("{with:?}");
    assert!(
        text.contains("ck8s-gen validate (in ")
            && text.contains("exit status: 2")
            && text.contains("--- stderr\n"),
        "{text}"
    );
    let failed = std::panic::catch_unwind(|| {
        with.expect_success();
    });
    assert!(failed.is_err(), "expect_success fails on exit status 2");
}
