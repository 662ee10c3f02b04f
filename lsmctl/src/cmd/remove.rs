//! `lsmctl remove`: remove loaded profiles by name.

use crate::kernel::{self, Via};

pub(crate) fn run(names: &[String], via: Via) -> Result<(), String> {
    for name in names {
        kernel::checked_name(name)?;
        let used = kernel::remove(name, via).map_err(|e| format!("{name}: {e}"))?;
        println!("removed {name} via {used}");
    }
    Ok(())
}
