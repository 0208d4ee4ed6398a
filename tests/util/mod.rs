//! A small harness for the CLI integration tests, in the style of ripgrep's `tests/util.rs`: a
//! temporary directory ([`Dir`]) and a command builder ([`TestCommand`]) that runs the real
//! `mindmarket` binary built by Cargo (`CARGO_BIN_EXE_mindmarket`) inside that directory.
//!
//! Every command runs with stdin closed and stdout/stderr captured (so never on a terminal), with
//! `RAYON_NUM_THREADS` removed from its environment unless a test sets it.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The path of a file under `tests/data/`.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

/// A temporary directory that commands run in; removed when dropped.
pub struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    /// A fresh, empty directory; `name` (the test's name) prefixes it for easier debugging.
    pub fn new(name: &str) -> Dir {
        let tmp = tempfile::Builder::new()
            .prefix(&format!("mindmarket-cli-{name}-"))
            .tempdir()
            .expect("create a temporary directory");
        Dir { tmp }
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// `path` joined to the directory.
    pub fn join(&self, path: impl AsRef<Path>) -> PathBuf {
        self.path().join(path)
    }

    /// Writes `contents` to `name` (creating parent folders).
    pub fn create(&self, name: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent folders");
        }
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// Creates the folder `name` (and its parents).
    pub fn create_dir(&self, name: impl AsRef<Path>) -> PathBuf {
        let path = self.join(name);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        path
    }

    /// Copies `tests/data/<name>` into the directory under the same name; returns that name, so
    /// that a command run here can refer to it by a short relative path (as error messages do).
    pub fn copy_data(&self, name: &str) -> String {
        let src = data(name);
        let text = std::fs::read(&src).unwrap_or_else(|e| panic!("read {}: {e}", src.display()));
        self.create(name, text);
        name.to_string()
    }

    /// The bytes of `path` (relative to the directory).
    pub fn read_bytes(&self, path: impl AsRef<Path>) -> Vec<u8> {
        let path = self.join(path);
        std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// The text of `path` (relative to the directory).
    pub fn read(&self, path: impl AsRef<Path>) -> String {
        String::from_utf8(self.read_bytes(path)).expect("UTF-8 output file")
    }

    /// The sorted names of the entries of folder `path` (relative to the directory).
    pub fn list(&self, path: impl AsRef<Path>) -> Vec<String> {
        let path = self.join(path);
        let mut names: Vec<String> = std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("list {}: {e}", path.display()))
            .map(|e| {
                e.expect("directory entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    /// A `mindmarket` command that runs in this directory.
    pub fn command(&self) -> TestCommand {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mindmarket"));
        cmd.current_dir(self.path())
            .env_remove("RAYON_NUM_THREADS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        TestCommand {
            cmd,
            shown: vec!["mindmarket".into()],
        }
    }
}

/// A command under construction.
pub struct TestCommand {
    cmd: Command,
    shown: Vec<String>,
}

impl TestCommand {
    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut TestCommand {
        self.shown.push(arg.as_ref().to_string_lossy().into_owned());
        self.cmd.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, A>(&mut self, args: I) -> &mut TestCommand
    where
        I: IntoIterator<Item = A>,
        A: AsRef<OsStr>,
    {
        for a in args {
            self.arg(a);
        }
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, key: &str, value: &str) -> &mut TestCommand {
        self.shown.insert(0, format!("{key}={value}"));
        self.cmd.env(key, value);
        self
    }

    /// Runs the command to completion.
    pub fn output(&mut self) -> Out {
        let Output {
            status,
            stdout,
            stderr,
        } = self
            .cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot start `{}`: {e}", self.shown.join(" ")));
        Out {
            command: self.shown.join(" "),
            code: status.code(),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Runs the command and asserts it exits 0.
    pub fn run(&mut self) -> Out {
        let out = self.output();
        assert_eq!(out.code, Some(0), "expected success\n{}", out.describe());
        out
    }

    /// Runs the command and asserts it exits 2 (any error) without a panic.
    pub fn fail(&mut self) -> Out {
        let out = self.output();
        assert_eq!(
            out.code,
            Some(2),
            "expected exit code 2\n{}",
            out.describe()
        );
        assert!(
            !out.stderr.contains("panicked"),
            "the program panicked\n{}",
            out.describe()
        );
        out
    }
}

/// What a finished command printed.
pub struct Out {
    /// The command line, for messages.
    pub command: String,
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Out {
    /// The command, exit code and outputs, for assertion messages.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "command: {}", self.command);
        let _ = writeln!(s, "exit code: {:?}", self.code);
        let _ = writeln!(s, "--- stdout ---\n{}", self.stdout);
        let _ = writeln!(s, "--- stderr ---\n{}", self.stderr);
        s
    }

    /// Asserts that stderr contains every one of `parts`.
    pub fn stderr_has(&self, parts: &[&str]) -> &Out {
        for p in parts {
            assert!(
                self.stderr.contains(p),
                "stderr lacks {p:?}\n{}",
                self.describe()
            );
        }
        self
    }
}
