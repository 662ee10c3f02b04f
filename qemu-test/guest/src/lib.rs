//! What several guest programs share: the raw `lsm_manage_policy()` call.

use rustlsm_policy::abi;

/// `lsm_manage_policy(LSM_ID_RUSTLSM, op, buf, len, flags)`: 0, or the errno.
pub fn manage_policy(op: u32, buf: &[u8], flags: u32) -> i32 {
    match manage_policy_value(op, buf, flags) {
        Ok(_) => 0,
        Err(errno) => errno,
    }
}

/// `lsm_manage_policy()` for rustlsm: what the call returned (0, or a descriptor a flag asked
/// for), or the errno.
pub fn manage_policy_value(op: u32, buf: &[u8], flags: u32) -> Result<i32, i32> {
    let len = u32::try_from(buf.len()).map_err(|_| libc::E2BIG)?;
    // SAFETY: The kernel reads at most `len` bytes of `buf`, which is valid for that long.
    let rc = unsafe {
        libc::syscall(
            abi::SYS_LSM_MANAGE_POLICY,
            abi::LSM_ID_RUSTLSM,
            op,
            buf.as_ptr(),
            len,
            flags,
        )
    };
    match i32::try_from(rc) {
        Ok(value) if value >= 0 => Ok(value),
        _ => Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(-1)),
    }
}
