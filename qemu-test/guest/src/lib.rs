//! What several guest programs share: the raw `lsm_manage_policy()` call.

use rustlsm_policy::abi;

/// `lsm_manage_policy(LSM_ID_RUSTLSM, op, buf, len, flags)`: 0, or the errno.
pub fn manage_policy(op: u32, buf: &[u8], flags: u32) -> i32 {
    let Ok(len) = u32::try_from(buf.len()) else {
        return libc::E2BIG;
    };
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
    if rc == 0 {
        0
    } else {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(-1)
    }
}
