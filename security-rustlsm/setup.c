// SPDX-License-Identifier: GPL-2.0-only
/*
 * rustlsm registration.
 *
 * The LSM framework's registration tables are built by C macros
 * (LSM_HOOK_INIT, DEFINE_LSM), so they live here. Every hook body, the
 * policy engine and the loaders are Rust, in rustlsm_main.rs and the
 * modules it includes.
 */

#include <linux/lsm_hooks.h>
#include <uapi/linux/lsm.h>

#include "rustlsm.h"

/*
 * rustlsm_blob_sizes (one pointer, what confines a task, in each cred and
 * each file) is
 * defined on the Rust side, in cred_blob.rs, which alone reaches the slots.
 */

static const struct lsm_id rustlsm_lsmid = {
	.name = "rustlsm",
	.id = LSM_ID_RUSTLSM,
};

static struct security_hook_list rustlsm_hooks[] __ro_after_init = {
	LSM_HOOK_INIT(cred_prepare, rustlsm_cred_prepare),
	LSM_HOOK_INIT(cred_transfer, rustlsm_cred_transfer),
	LSM_HOOK_INIT(cred_free, rustlsm_cred_free),
	LSM_HOOK_INIT(bprm_creds_for_exec, rustlsm_bprm_creds_for_exec),
	LSM_HOOK_INIT(bprm_creds_from_file, rustlsm_bprm_creds_from_file),
	LSM_HOOK_INIT(bprm_committing_creds, rustlsm_bprm_committing_creds),
	LSM_HOOK_INIT(file_free_security, rustlsm_file_free_security),
	LSM_HOOK_INIT(file_fcntl, rustlsm_file_fcntl),
	LSM_HOOK_INIT(file_set_fowner, rustlsm_file_set_fowner),
	LSM_HOOK_INIT(file_send_sigiotask, rustlsm_file_send_sigiotask),
	LSM_HOOK_INIT(file_receive, rustlsm_file_receive),
	LSM_HOOK_INIT(file_open, rustlsm_file_open),
	LSM_HOOK_INIT(file_truncate, rustlsm_file_truncate),
	LSM_HOOK_INIT(file_ioctl, rustlsm_file_ioctl),
	LSM_HOOK_INIT(file_ioctl_compat, rustlsm_file_ioctl_compat),
	LSM_HOOK_INIT(mmap_file, rustlsm_mmap_file),
	LSM_HOOK_INIT(file_mprotect, rustlsm_file_mprotect),
	LSM_HOOK_INIT(path_mknod, rustlsm_path_mknod),
	LSM_HOOK_INIT(path_mkdir, rustlsm_path_mkdir),
	LSM_HOOK_INIT(inode_create, rustlsm_inode_create),
	LSM_HOOK_INIT(inode_unlink, rustlsm_inode_unlink),
	LSM_HOOK_INIT(d_instantiate, rustlsm_d_instantiate),
	LSM_HOOK_INIT(path_symlink, rustlsm_path_symlink),
	LSM_HOOK_INIT(path_unlink, rustlsm_path_unlink),
	LSM_HOOK_INIT(path_rmdir, rustlsm_path_rmdir),
	LSM_HOOK_INIT(path_rename, rustlsm_path_rename),
	LSM_HOOK_INIT(path_link, rustlsm_path_link),
	LSM_HOOK_INIT(path_truncate, rustlsm_path_truncate),
	LSM_HOOK_INIT(path_chmod, rustlsm_path_chmod),
	LSM_HOOK_INIT(path_chown, rustlsm_path_chown),
	LSM_HOOK_INIT(path_utimes, rustlsm_path_utimes),
	LSM_HOOK_INIT(capable, rustlsm_capable),
	LSM_HOOK_INIT(task_kill, rustlsm_task_kill),
	LSM_HOOK_INIT(ptrace_access_check, rustlsm_ptrace_access_check),
	LSM_HOOK_INIT(ptrace_traceme, rustlsm_ptrace_traceme),
	LSM_HOOK_INIT(task_setpgid, rustlsm_task_setpgid),
	LSM_HOOK_INIT(task_setnice, rustlsm_task_setnice),
	LSM_HOOK_INIT(task_setioprio, rustlsm_task_setioprio),
	LSM_HOOK_INIT(task_setscheduler, rustlsm_task_setscheduler),
	LSM_HOOK_INIT(task_prlimit, rustlsm_task_prlimit),
	LSM_HOOK_INIT(sb_mount, rustlsm_sb_mount),
	LSM_HOOK_INIT(sb_umount, rustlsm_sb_umount),
	LSM_HOOK_INIT(sb_pivotroot, rustlsm_sb_pivotroot),
	LSM_HOOK_INIT(sb_remount, rustlsm_sb_remount),
	LSM_HOOK_INIT(move_mount, rustlsm_move_mount),
	LSM_HOOK_INIT(getselfattr, rustlsm_getselfattr),
	LSM_HOOK_INIT(setselfattr, rustlsm_setselfattr),
	LSM_HOOK_INIT(getprocattr, rustlsm_getprocattr),
	LSM_HOOK_INIT(socket_create, rustlsm_socket_create),
	LSM_HOOK_INIT(socket_bind, rustlsm_socket_bind),
	LSM_HOOK_INIT(socket_connect, rustlsm_socket_connect),
	LSM_HOOK_INIT(socket_listen, rustlsm_socket_listen),
	LSM_HOOK_INIT(socket_sendmsg, rustlsm_socket_sendmsg),
	LSM_HOOK_INIT(socket_setsockopt, rustlsm_socket_setsockopt),
	LSM_HOOK_INIT(unix_find, rustlsm_unix_find),
	LSM_HOOK_INIT(unix_stream_connect, rustlsm_unix_stream_connect),
	LSM_HOOK_INIT(unix_may_send, rustlsm_unix_may_send),
	LSM_HOOK_INIT(userns_create, rustlsm_userns_create),
#ifdef CONFIG_IO_URING
	LSM_HOOK_INIT(uring_override_creds, rustlsm_uring_override_creds),
#endif
	LSM_HOOK_INIT(lsm_manage_policy_permission, rustlsm_manage_policy_permission),
	LSM_HOOK_INIT(lsm_manage_policy, rustlsm_manage_policy),
};

static int __init rustlsm_init(void)
{
	int rc;

	rc = rustlsm_policy_init();
	if (rc)
		return rc;
	security_add_hooks(rustlsm_hooks, ARRAY_SIZE(rustlsm_hooks),
			   &rustlsm_lsmid);
	pr_info("rustlsm: initialized\n");
	return 0;
}

DEFINE_LSM(rustlsm) = {
	.id = &rustlsm_lsmid,
	.init = rustlsm_init,
	.blobs = &rustlsm_blob_sizes,
	.initcall_fs = rustlsm_securityfs_init,
};
