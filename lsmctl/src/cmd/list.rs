//! `lsmctl list`: the loaded profiles, as securityfs lists them.

use crate::kernel;

pub(crate) fn run(json: bool) -> Result<(), String> {
    let profiles = kernel::loaded_profiles().map_err(|e| {
        format!(
            "cannot read {}: {e} (is rustlsm active and securityfs mounted?)",
            kernel::securityfs_dir().join("profiles").display()
        )
    })?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&profiles).map_err(|e| e.to_string())?
        );
    } else if profiles.is_empty() {
        println!("no profiles loaded");
    } else {
        for p in profiles {
            println!("{:<24} {:<9} {}", p.name, p.mode, p.digest);
        }
    }
    Ok(())
}
