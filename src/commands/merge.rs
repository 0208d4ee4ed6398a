//! `mindmarket merge`: join the shard folders of a sweep (`mindmarket sweep --shard K/N`) into one
//! folder identical to the unsharded sweep's.

use std::path::PathBuf;

use anyhow::{Result, anyhow};

/// `mindmarket merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The shard folders: all N of them, in any order.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The merged folder (new, empty, or an earlier merge of the same sweep).
    #[arg(long)]
    pub out: PathBuf,
    /// No summary on stdout.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs the command.
pub fn run(a: MergeArgs) -> Result<()> {
    let m = mindmarket_sim::sweep::merge(&a.dirs, &a.out)?;
    if !a.quiet {
        println!(
            "merged {} shard folders into {}/: {} runs, {} ok, {} failed",
            a.dirs.len(),
            a.out.display(),
            m.runs,
            m.runs - m.failed,
            m.failed
        );
    }
    if m.failed > 0 {
        let (id, err) = m.first_failure.unwrap_or_default();
        return Err(anyhow!(
            "{} of {} runs of the merged sweep failed (every file is written; see {}/runs.csv). First failure: run {id}: {err}",
            m.failed,
            m.runs,
            a.out.display()
        ));
    }
    Ok(())
}
