//! Which kind of output folder a path is: a run folder (`summary.json` + `steps.csv`) or a sweep
//! folder (`manifest.json`). The commands take either and decide here.

use std::path::Path;

use crate::error::{Error, Result};
use crate::run::RunFolder;
use crate::sweep::SweepFolder;

/// A run or a sweep folder.
#[derive(Clone, Debug)]
pub enum Folder {
    /// `mindmarket run` output.
    Run(Box<RunFolder>),
    /// `mindmarket sweep` output.
    Sweep(Box<SweepFolder>),
}

impl Folder {
    /// Opens `dir` as whichever kind it is; a clear error if it is neither.
    pub fn open(dir: &Path) -> Result<Folder> {
        if !dir.exists() {
            return Err(Error::Missing {
                path: dir.to_path_buf(),
                what: "a run or sweep folder".into(),
            });
        }
        if !dir.is_dir() {
            return Err(Error::format(
                dir,
                "not a folder: expected a run folder or a sweep folder",
            ));
        }
        if SweepFolder::is_sweep_folder(dir) {
            return Ok(Folder::Sweep(Box::new(SweepFolder::open(dir)?)));
        }
        if dir.join("summary.json").is_file() || dir.join("steps.csv").is_file() {
            return Ok(Folder::Run(Box::new(RunFolder::open(dir)?)));
        }
        Err(Error::Missing {
            path: dir.join("summary.json"),
            what:
                "neither a run folder (summary.json, steps.csv) nor a sweep folder (manifest.json)"
                    .into(),
        })
    }
}
