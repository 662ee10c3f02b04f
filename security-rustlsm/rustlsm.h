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
int rustlsm_file_open(struct file *file);
int rustlsm_file_truncate(struct file *file);
int rustlsm_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int rustlsm_mmap_file(struct file *file, unsigned long reqprot, unsigned long prot,
		      unsigned long flags);
int rustlsm_file_mprotect(struct vm_area_struct *vma, unsigned long reqprot,
			  unsigned long prot);
int rustlsm_path_mknod(const struct path *dir, struct dentry *dentry, umode_t mode,
		       unsigned int dev);
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
int rustlsm_sb_mount(const char *dev_name, const struct path *path, const char *type,
		     unsigned long flags, void *data);
int rustlsm_sb_umount(struct vfsmount *mnt, int flags);
int rustlsm_sb_pivotroot(const struct path *old_path, const struct path *new_path);
int rustlsm_getselfattr(unsigned int attr, struct lsm_ctx __user *ctx, u32 *size,
			u32 flags);
int rustlsm_getprocattr(struct task_struct *p, const char *name, char **value);
int rustlsm_socket_create(int family, int type, int protocol, int kern);
int rustlsm_socket_bind(struct socket *sock, struct sockaddr *address, int addrlen);
int rustlsm_socket_connect(struct socket *sock, struct sockaddr *address,
			   int addrlen);
int rustlsm_socket_listen(struct socket *sock, int backlog);
int rustlsm_socket_sendmsg(struct socket *sock, struct msghdr *msg, int size);
int rustlsm_manage_policy(u32 op, const void __user *buf, u32 size, u32 flags);

#endif /* _SECURITY_RUSTLSM_H */
