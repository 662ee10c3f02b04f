//! `lsmctl load`: compile profile files and load them into the kernel (or, with `--dry-run`,
//! have the kernel verify them), saying for each profile whether it was added, replaced or
//! unchanged. `--all` loads the profile directory, as at boot.

use super::{compile_each, compile_files, CompileSettings, CompiledFile};
use crate::cache::Cache;
use crate::kernel::{self, LoadedProfile, Via};
use rustlsm_policy::ProfileSummary;
use std::fs;
use std::path::{Path, PathBuf};

/// Where `--all` finds the profiles to load.
pub(crate) const PROFILE_DIR: &str = "/etc/rustlsm/profiles.d";

/// What to load and how.
#[derive(clap::Args)]
pub(crate) struct LoadArgs {
    /// Profile files.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub files: Vec<PathBuf>,
    /// Load every *.toml file of the profile directory (as at boot). Each file that
    /// compiles is loaded even if another does not; the status says whether all did.
    #[arg(long)]
    pub all: bool,
    /// The profile directory for --all.
    #[arg(long, value_name = "DIR", default_value = PROFILE_DIR)]
    pub dir: PathBuf,
    /// Keep compiled policies in DIR and reuse them while the profiles, what they
    /// include and lsmctl are unchanged (default with --all: /var/cache/rustlsm).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compile everything, and use no cache.
    #[arg(long, conflicts_with = "cache_dir")]
    pub no_cache: bool,
    /// Interface to the kernel.
    #[arg(long, value_enum, default_value_t = Via::Auto)]
    pub via: Via,
    /// Ask the kernel to verify the policy without loading it (system call only).
    #[arg(long)]
    pub dry_run: bool,
}

/// The `*.toml` files of `dir`, in name order; hidden files and editors' leftovers (which do
/// not end in `.toml`) are skipped.
pub(crate) fn profile_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|n| n.ends_with(".toml") && !n.starts_with('.')) && p.is_file()
        })
        .collect();
    files.sort();
    Ok(files)
}

/// What loading `new` does to the profile of its name, given what is loaded.
fn change(new: &ProfileSummary, loaded: Option<&[LoadedProfile]>) -> String {
    let digest = format!("{:016x}", new.digest);
    let mode = new.mode.name();
    let Some(loaded) = loaded else {
        return format!("{mode}, digest {digest}");
    };
    match loaded.iter().find(|p| p.name == new.name) {
        None => format!("added ({mode}, digest {digest})"),
        Some(old) if old.digest == digest => format!("unchanged ({mode}, digest {digest})"),
        Some(old) if old.mode != mode => format!(
            "replaced ({} -> {mode}, digest {} -> {digest})",
            old.mode, old.digest
        ),
        Some(old) => format!("replaced ({mode}, digest {} -> {digest})", old.digest),
    }
}

/// Loads one compiled file, printing a line per profile.
pub(super) fn load_one(c: &CompiledFile, via: Via, dry_run: bool) -> Result<(), String> {
    // Read before loading, to say what changed; a kernel whose list cannot be read is still
    // loaded into.
    let loaded = kernel::loaded_profiles().ok();
    let used =
        kernel::load(&c.blob, via, dry_run).map_err(|e| format!("{}: {e}", c.path.display()))?;
    let verb = if dry_run { "verified" } else { "loaded" };
    let from_cache = if c.cached {
        ", compiled policy from the cache"
    } else {
        ""
    };
    for p in &c.profiles {
        println!(
            "{verb} {} from {} via {used}{from_cache}: {}",
            p.name,
            c.path.display(),
            change(p, loaded.as_deref())
        );
    }
    Ok(())
}

pub(crate) fn run(args: &LoadArgs, settings: &CompileSettings) -> Result<(), String> {
    let cache_dir = match (&args.cache_dir, args.no_cache, args.all) {
        (_, true, _) => None,
        (Some(dir), false, _) => Some(dir.clone()),
        (None, false, true) => Some(PathBuf::from(crate::cache::DEFAULT_DIR)),
        (None, false, false) => None,
    };
    let cache = cache_dir.and_then(|dir| {
        Cache::new(dir)
            .map_err(|e| eprintln!("lsmctl: cache: {e}"))
            .ok()
    });
    if !args.all {
        // Compile everything first: one bad file loads nothing.
        let compiled = compile_files(&args.files, settings, cache.as_ref())?;
        for c in &compiled {
            load_one(c, args.via, args.dry_run)?;
        }
        return Ok(());
    }
    // The whole directory: every file that compiles is loaded, and each failure is reported,
    // so that a broken file leaves only its own programs unconfined.
    let files = profile_files(&args.dir)?;
    if files.is_empty() {
        println!("no profiles in {}", args.dir.display());
        return Ok(());
    }
    let (compiled, mut errors) = compile_each(&files, settings, cache.as_ref());
    for c in &compiled {
        if let Err(e) = load_one(c, args.via, args.dry_run) {
            errors.push(e);
        }
    }
    if let Some(cache) = cache.as_ref().filter(|_| !args.dry_run) {
        let keep: Vec<String> = compiled
            .iter()
            .filter_map(|c| c.cache_key.clone())
            .collect();
        cache.prune(&keep);
    }
    if errors.is_empty() {
        return Ok(());
    }
    for e in &errors {
        eprintln!("lsmctl: {e}");
    }
    Err(format!(
        "{} of {} profile file(s) in {} not loaded",
        errors.len(),
        files.len(),
        args.dir.display()
    ))
}
