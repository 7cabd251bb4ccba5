//! Sets `TIDINGS_VERSION` for `tidings --version`: the crate's version and
//! the commit it was built from, `0.1.0 (abc1234)`. The commit is
//! `$TIDINGS_COMMIT` when set (a container build, which has no `.git`),
//! else `git rev-parse --short HEAD`; outside a git checkout (a crate
//! tarball) the version stands alone.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=TIDINGS_COMMIT");
    println!("cargo:rerun-if-changed=build.rs");
    let version = env!("CARGO_PKG_VERSION");
    let commit = std::env::var("TIDINGS_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| git(&["rev-parse", "--short", "HEAD"]));
    match commit {
        Some(commit) => println!(
            "cargo:rustc-env=TIDINGS_VERSION={version} ({})",
            commit.trim()
        ),
        None => println!("cargo:rustc-env=TIDINGS_VERSION={version}"),
    }
    // A new commit moves the branch's ref (or packed-refs); a checkout of
    // another branch moves HEAD. In a worktree these live in different
    // directories, which `--git-path` knows. Only files that exist are
    // named: a missing one would make cargo rerun this on every build.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch.trim().to_string());
    }
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            let path = PathBuf::from(path.trim());
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
}

/// The output of `git ARGS` in the crate's directory, when git runs and
/// succeeds.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
        .filter(|s| !s.trim().is_empty())
}
