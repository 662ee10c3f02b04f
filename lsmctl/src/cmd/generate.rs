//! `lsmctl generate-files DIR` (hidden): the manual pages and shell completions, made from
//! the command-line definition itself so they never lag it; `make install` runs it.
//!
//! DIR/man/lsmctl.1 and one page per subcommand (lsmctl-load.1, ...); DIR/completions/
//! lsmctl.bash, _lsmctl (zsh) and lsmctl.fish.

use clap_complete::Shell;
use std::fs;
use std::path::Path;

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Renders `cmd`'s page into `dir` as NAME.1, and its subcommands' pages as NAME-SUB.1.
fn pages(cmd: &clap::Command, name: &str, dir: &Path) -> Result<(), String> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone().display_name(name.to_string()))
        .render(&mut page)
        .map_err(|e| e.to_string())?;
    write(&dir.join(format!("{name}.1")), &page)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        pages(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}

pub(crate) fn run(mut cmd: clap::Command, dir: &Path) -> Result<(), String> {
    let man = dir.join("man");
    let completions = dir.join("completions");
    for d in [&man, &completions] {
        fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    cmd.build();
    pages(&cmd, "lsmctl", &man)?;
    for (shell, file) in [
        (Shell::Bash, "lsmctl.bash"),
        (Shell::Zsh, "_lsmctl"),
        (Shell::Fish, "lsmctl.fish"),
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd, "lsmctl", &mut out);
        write(&completions.join(file), &out)?;
    }
    println!(
        "wrote manual pages to {} and completions to {}",
        man.display(),
        completions.display()
    );
    Ok(())
}
