/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rustlsm: the entry points the C registration shim calls. Each is
 * implemented in Rust; the Rust side checks at compile time that its
 * hook functions match the prototypes in lsm_hook_defs.h.
 */

#ifndef _SECURITY_RUSTLSM_H
#define _SECURITY_RUSTLSM_H

#include <linux/binfmts.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/lsm_hooks.h>
#include <linux/net.h>
#include <linux/types.h>

extern struct lsm_blob_sizes rustlsm_blob_sizes;

int rustlsm_policy_init(void);
int rustlsm_securityfs_init(void);

int rustlsm_cred_prepare(struct cred *new, const struct cred *old, gfp_t gfp);
void rustlsm_cred_transfer(struct cred *new, const struct cred *old);
void rustlsm_cred_free(struct cred *cred);
int rustlsm_bprm_creds_for_exec(struct linux_binprm *bprm);
int rustlsm_bprm_creds_from_file(struct linux_binprm *bprm, const struct file *file);
int rustlsm_file_open(struct file *file);
int rustlsm_file_truncate(struct file *file);
int rustlsm_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int rustlsm_file_ioctl_compat(struct file *file, unsigned int cmd, unsigned long arg);
int rustlsm_mmap_file(struct file *file, unsigned long reqprot, unsigned long prot,
		      unsigned long flags);
int rustlsm_file_mprotect(struct vm_area_struct *vma, unsigned long reqprot,
			  unsigned long prot);
int rustlsm_path_mknod(const struct path *dir, struct dentry *dentry, umode_t mode,
		       unsigned int dev);
int rustlsm_inode_create(struct inode *dir, struct dentry *dentry, umode_t mode);
int rustlsm_inode_unlink(struct inode *dir, struct dentry *dentry);
void rustlsm_d_instantiate(struct dentry *dentry, struct inode *inode);
int rustlsm_path_mkdir(const struct path *dir, struct dentry *dentry, umode_t mode);
int rustlsm_path_symlink(const struct path *dir, struct dentry *dentry,
			 const char *old_name);
int rustlsm_path_unlink(const struct path *dir, struct dentry *dentry);
int rustlsm_path_rmdir(const struct path *dir, struct dentry *dentry);
int rustlsm_path_rename(const struct path *old_dir, struct dentry *old_dentry,
			const struct path *new_dir, struct dentry *new_dentry,
			unsigned int flags);
int rustlsm_path_link(struct dentry *old_dentry, const struct path *new_dir,
		      struct dentry *new_dentry);
int rustlsm_path_truncate(const struct path *path);
int rustlsm_path_chmod(const struct path *path, umode_t mode);
int rustlsm_path_chown(const struct path *path, kuid_t uid, kgid_t gid);
int rustlsm_path_utimes(const struct path *path);
int rustlsm_capable(const struct cred *cred, struct user_namespace *ns, int cap,
		    unsigned int opts);
int rustlsm_task_kill(struct task_struct *p, struct kernel_siginfo *info, int sig,
		      const struct cred *cred);
int rustlsm_ptrace_access_check(struct task_struct *child, unsigned int mode);
int rustlsm_ptrace_traceme(struct task_struct *parent);
int rustlsm_task_setpgid(struct task_struct *p, pid_t pgid);
int rustlsm_task_setnice(struct task_struct *p, int nice);
int rustlsm_task_setioprio(struct task_struct *p, int ioprio);
int rustlsm_task_setscheduler(struct task_struct *p);
int rustlsm_task_prlimit(const struct cred *cred, const struct cred *tcred,
			 unsigned int flags);
int rustlsm_sb_mount(const char *dev_name, const struct path *path, const char *type,
		     unsigned long flags, void *data);
int rustlsm_sb_umount(struct vfsmount *mnt, int flags);
int rustlsm_sb_pivotroot(const struct path *old_path, const struct path *new_path);
int rustlsm_getselfattr(unsigned int attr, struct lsm_ctx __user *ctx, u32 *size,
			u32 flags);
int rustlsm_setselfattr(unsigned int attr, struct lsm_ctx *ctx, u32 size, u32 flags);
int rustlsm_getprocattr(struct task_struct *p, const char *name, char **value);
int rustlsm_socket_create(int family, int type, int protocol, int kern);
int rustlsm_socket_bind(struct socket *sock, struct sockaddr *address, int addrlen);
int rustlsm_socket_connect(struct socket *sock, struct sockaddr *address,
			   int addrlen);
int rustlsm_socket_listen(struct socket *sock, int backlog);
int rustlsm_socket_sendmsg(struct socket *sock, struct msghdr *msg, int size);
int rustlsm_socket_setsockopt(struct socket *sock, int level, int optname);
int rustlsm_manage_policy_permission(u32 op, u32 size, u32 flags);
int rustlsm_manage_policy(u32 op, const void *buf, u32 size, u32 flags);
void rustlsm_bprm_committing_creds(const struct linux_binprm *bprm);
void rustlsm_file_free_security(struct file *file);
int rustlsm_file_fcntl(struct file *file, unsigned int cmd, unsigned long arg);
void rustlsm_file_set_fowner(struct file *file);
int rustlsm_file_send_sigiotask(struct task_struct *tsk, struct fown_struct *fown,
				int sig);
int rustlsm_file_receive(struct file *file);
int rustlsm_uring_override_creds(const struct cred *new);
int rustlsm_unix_find(const struct path *path, struct sock *other, int flags);
int rustlsm_unix_stream_connect(struct sock *sock, struct sock *other,
				struct sock *newsk);
int rustlsm_unix_may_send(struct socket *sock, struct socket *other);
int rustlsm_userns_create(const struct cred *cred);
int rustlsm_move_mount(const struct path *from_path, const struct path *to_path);
int rustlsm_sb_remount(struct super_block *sb, void *mnt_opts);

/* Accessors (accessors.c): values only C reaches reliably. */
enum rustlsm_unix_kind {
	RUSTLSM_UNIX_UNNAMED = 0,
	RUSTLSM_UNIX_PATHNAME = 1,
	RUSTLSM_UNIX_ABSTRACT = 2,
	RUSTLSM_UNIX_UNREADABLE = 3,
};

int rustlsm_sock_family(const struct socket *sock);
int rustlsm_sock_protocol(const struct socket *sock);
bool rustlsm_sock_is_kern(const struct socket *sock);
void rustlsm_unix_lock(struct sock *sk);
void rustlsm_unix_unlock(struct sock *sk);
/* The longest abstract AF_UNIX name: UNIX_PATH_MAX less the leading NUL. */
#define RUSTLSM_UNIX_NAME_MAX 107
int rustlsm_unix_address(struct sock *sk, u8 *name, int *len);
const struct cred *rustlsm_unix_owner_cred(const struct sock *sk);
void rustlsm_revoke_fd(unsigned int fd);
bool rustlsm_is_internal_mount(const struct path *path);
bool rustlsm_is_io_uring(struct file *file);
bool rustlsm_current_shares_itself(void);
bool rustlsm_current_used_io_uring(void);
bool rustlsm_current_traces(void);
bool rustlsm_current_group_has_workers(void);
bool rustlsm_current_group_shares_outside(void);
unsigned long rustlsm_current_files_id(void);
int rustlsm_sk_type(const struct sock *sk);
bool rustlsm_is_mqueue(const struct path *path);
int rustlsm_proc_own_depth(const struct path *path);
bool rustlsm_keeps_decisions(const struct path *path);
bool rustlsm_owns(const struct cred *cred, const struct path *on, const struct inode *inode);
bool rustlsm_may_wait_in_open(const struct file *file);
bool rustlsm_in_execve(void);
u64 rustlsm_sock_netns_id(const struct socket *sock);
bool rustlsm_is_program_open(const struct file *file);
bool rustlsm_may_wait_on_socket(const struct socket *sock, unsigned int msg_flags);
struct pid *rustlsm_get_current_tgid(void);
bool rustlsm_current_tgid_is(const struct pid *pid);
void rustlsm_put_pid(struct pid *pid);
bool rustlsm_mqueue_root(const struct inode *dir, struct path *root);
bool rustlsm_ioctl_sets_inode_flags(unsigned int cmd);
bool rustlsm_ioctl_is_terminal_routine(unsigned int cmd);

#endif /* _SECURITY_RUSTLSM_H */
