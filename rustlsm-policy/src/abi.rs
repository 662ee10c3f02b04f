//! The numbers of the kernel interface that every userspace caller shares: the prototype
//! `lsm_manage_policy()` system call, its operations (include/uapi/linux/lsm.h) and rustlsm's
//! LSM id. One definition, so a renumbering in the series cannot leave a caller behind.

/// x86_64 number of the prototype `lsm_manage_policy()` system call.
pub const SYS_LSM_MANAGE_POLICY: i64 = 473;
/// rustlsm's LSM id (`LSM_ID_RUSTLSM`).
pub const LSM_ID_RUSTLSM: u32 = 114;
/// `LSM_POLICY_LOAD`: add or replace the profiles of a compiled policy.
pub const LSM_POLICY_LOAD: u32 = 100;
/// `LSM_POLICY_REMOVE`: remove the profile the buffer names.
pub const LSM_POLICY_REMOVE: u32 = 101;
/// `LSM_POLICY_RESTRICT_SELF`: stack the buffer's one profile on the caller as a sandbox layer.
pub const LSM_POLICY_RESTRICT_SELF: u32 = 102;
/// `LSM_POLICY_LISTEN`: open a listener for the requests of ask profiles
/// (`ask_protocol::Listen` buffer); returns its descriptor.
pub const LSM_POLICY_LISTEN: u32 = 103;
/// Sandbox layers one task may stack (the kernel's `sandbox::MAX_LAYERS`); the next request
/// fails with `E2BIG`.
pub const MAX_LAYERS: usize = 16;
/// The largest sandbox profile the kernel takes, in bytes (`sandbox::MAX_LAYER_LEN`).
pub const MAX_LAYER_LEN: usize = 64 << 10;
