// SPDX-License-Identifier: GPL-2.0-only
/*
 * rustlsm: accessors for kernel objects whose fields or locks only C can
 * reach reliably (macros, inline functions, config-dependent layouts such as
 * struct sock's). Each returns a value; every decision stays in Rust.
 */

#include <linux/anon_inodes.h>
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/io_uring.h>
#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/proc_fs.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/termios.h>
#include <uapi/linux/magic.h>
#include <net/af_unix.h>
#include <net/sock.h>

#include "rustlsm.h"

static_assert(sizeof_field(struct sockaddr_un, sun_path) == RUSTLSM_UNIX_NAME_MAX + 1);

int rustlsm_sock_family(const struct socket *sock)
{
	return sock->sk ? READ_ONCE(sock->sk->sk_family) : AF_UNSPEC;
}

int rustlsm_sock_protocol(const struct socket *sock)
{
	return sock->sk ? READ_ONCE(sock->sk->sk_protocol) : 0;
}

/* Whether @sock is a kernel socket (sock_create_kern()), which a subsystem uses for itself. */
bool rustlsm_sock_is_kern(const struct socket *sock)
{
	return sock->sk && sock->sk->sk_kern_sock;
}

void rustlsm_unix_lock(struct sock *sk)
{
	unix_state_lock(sk);
}

void rustlsm_unix_unlock(struct sock *sk)
{
	unix_state_unlock(sk);
}

/*
 * The name AF_UNIX socket @sk is bound to. Abstract names are copied into
 * @name (RUSTLSM_UNIX_NAME_MAX bytes) with their length in @len, without
 * their leading NUL. The address, once published, lives as long as the
 * socket, which the caller holds.
 */
int rustlsm_unix_address(struct sock *sk, u8 *name, int *len)
{
	struct unix_sock *u = unix_sk(sk);
	/* Pairs with the release that publishes the address at bind. */
	struct unix_address *addr = smp_load_acquire(&u->addr);
	int name_len;

	if (!addr)
		return RUSTLSM_UNIX_UNNAMED;
	if (u->path.dentry)
		return RUSTLSM_UNIX_PATHNAME;
	name_len = addr->len - (int)offsetof(struct sockaddr_un, sun_path) - 1;
	/* unix_validate_addr() makes both impossible; if not, refuse rather than skip. */
	if (WARN_ON_ONCE(name_len < 0 || name_len > RUSTLSM_UNIX_NAME_MAX))
		return RUSTLSM_UNIX_UNREADABLE;
	memcpy(name, addr->name->sun_path + 1, name_len);
	*len = name_len;
	return RUSTLSM_UNIX_ABSTRACT;
}

/*
 * The credentials of whoever created the socket file of @sk (not
 * referenced), or NULL for a dead or kernel socket. The caller holds @sk's
 * unix state lock, under which the file cannot go away.
 */
const struct cred *rustlsm_unix_owner_cred(const struct sock *sk)
{
	if (sock_flag(sk, SOCK_DEAD) || !sk->sk_socket || !sk->sk_socket->file)
		return NULL;
	return sk->sk_socket->file->f_cred;
}

/* What a revoked descriptor reads and writes: nothing, like /dev/null. */
static ssize_t rustlsm_revoked_read(struct file *file, char __user *buf,
				    size_t count, loff_t *pos)
{
	return 0;
}

static ssize_t rustlsm_revoked_write(struct file *file, const char __user *buf,
				     size_t count, loff_t *pos)
{
	return count;
}

static const struct file_operations rustlsm_revoked_fops = {
	.read = rustlsm_revoked_read,
	.write = rustlsm_revoked_write,
	.llseek = noop_llseek,
};

/*
 * Replaces descriptor @fd of current with a file that reads nothing and
 * swallows writes (as AppArmor replaces revoked descriptors with its null
 * device), so that the number stays taken: programs check that 0, 1 and 2
 * are open and abort when they cannot reopen them, and a closed number would
 * be reused by the program's next open. Closes @fd if no such file can be
 * made.
 */
void rustlsm_revoke_fd(unsigned int fd)
{
	struct file *null = anon_inode_getfile("[rustlsm-revoked]",
					      &rustlsm_revoked_fops, NULL, O_RDWR);

	if (IS_ERR(null)) {
		replace_fd(fd, NULL, 0);
		return;
	}
	replace_fd(fd, null, 0);
	fput(null);
}

bool rustlsm_is_internal_mount(const struct path *path)
{
	return path->mnt->mnt_flags & MNT_INTERNAL;
}

bool rustlsm_is_io_uring(struct file *file)
{
	return io_is_uring_fops(file);
}

bool rustlsm_current_shares_itself(void)
{
	return !current_is_single_threaded() ||
	       atomic_read(&current->files->count) > 1 ||
	       !list_empty(&current->ptraced);
}

bool rustlsm_current_traces(void)
{
	return !list_empty(&current->ptraced);
}

bool rustlsm_current_group_has_workers(void)
{
	struct task_struct *t;

	guard(rcu)();
	for_each_thread(current, t)
		if (READ_ONCE(t->flags) & PF_USER_WORKER)
			return true;
	return false;
}

unsigned long rustlsm_current_files_id(void)
{
	return (unsigned long)current->files;
}

bool rustlsm_current_group_shares_outside(void)
{
	struct files_struct *files = current->files;
	struct mm_struct *mm = current->mm;
	struct task_struct *t, *p;
	int mm_users = 0, files_users = 0;
	bool shared;

	guard(rcu)();
	for_each_thread(current, t) {
		mm_users += READ_ONCE(t->mm) == mm;
		if (READ_ONCE(t->files) == files) {
			files_users++;
			continue;
		}
		/*
		 * A table of its own (unshare(CLONE_FILES)) must be its alone; one it
		 * shares with a thread it started since counts as shared too. The lock
		 * keeps t->files from being freed under us (exit_files()).
		 */
		task_lock(t);
		shared = t->files && atomic_read(&t->files->count) > 1;
		task_unlock(t);
		if (shared)
			return true;
	}
	if (atomic_read(&files->count) > files_users)
		return true;
	if (atomic_read(&mm->mm_users) <= mm_users)
		return false;
	/*
	 * Other users: a task outside the group, or a passing mmget() (/proc): look.
	 * An exiting task (a vfork() child that woke its parent on its way out)
	 * runs no more user code.
	 */
	for_each_process(p) {
		if ((p->flags & PF_KTHREAD) || same_thread_group(p, current))
			continue;
		for_each_thread(p, t)
			if (READ_ONCE(t->mm) == mm && !(READ_ONCE(t->flags) & PF_EXITING))
				return true;
	}
	return false;
}

bool rustlsm_current_used_io_uring(void)
{
#ifdef CONFIG_IO_URING
	return READ_ONCE(current->io_uring);
#else
	return false;
#endif
}

int rustlsm_sk_type(const struct sock *sk)
{
	return sk->sk_type;
}

/* POSIX message queues' file system (ipc/mqueue.c keeps its magic private). */
#define RUSTLSM_MQUEUE_MAGIC 0x19800202

bool rustlsm_is_mqueue(const struct path *path)
{
	return path->dentry->d_sb->s_magic == RUSTLSM_MQUEUE_MAGIC;
}

/*
 * Whether a decision on @path may be kept for later checks of the same file: not for a file
 * of an internal mount or a private inode (no path mediates them), nor of procfs, whose
 * /proc/self names depend on the checking task. One call, on the path of every kept open.
 */
bool rustlsm_keeps_decisions(const struct path *path)
{
	struct inode *inode = d_backing_inode(path->dentry);

	return !(path->mnt->mnt_flags & MNT_INTERNAL) && !(inode && IS_PRIVATE(inode)) &&
	       path->dentry->d_sb->s_magic != PROC_SUPER_MAGIC;
}

/*
 * Whether @cred's filesystem user ID owns @inode as the mount of @on shows it (through the
 * mount's ID mapping), as AppArmor's owner conditional and DAC's owner checks see it.
 */
bool rustlsm_owns(const struct cred *cred, const struct path *on, const struct inode *inode)
{
	vfsuid_t owner = i_uid_into_vfsuid(mnt_idmap(on->mnt), inode);

	return vfsuid_eq_kuid(owner, cred->fsuid);
}

/*
 * Whether the current task may wait for a user space agent at all: a user task of its own
 * (no kernel thread, io_uring or vhost worker, exit or core dump, no fatal signal, no borrowed
 * credentials: someone in the kernel acts on its behalf), not in an exec (cred_guard_mutex
 * is held), and, where lockdep counts them, holding no lock: the wait is freezable, and a
 * task frozen with a lock held would keep it for as long as the freeze lasts.
 */
static bool rustlsm_task_may_wait(void)
{
	might_sleep();
#ifdef CONFIG_LOCKDEP
	/* An open from the kernel with a lock held (a sysfs store naming a file). */
	if (current->lockdep_depth)
		return false;
#endif
	return !(current->flags &
		 (PF_KTHREAD | PF_IO_WORKER | PF_USER_WORKER | PF_EXITING | PF_DUMPCORE)) &&
	       !current->in_execve && current->cred == current->real_cred &&
	       !fatal_signal_pending(current);
}

/*
 * Whether the current task, opening @file, may wait in file_open for a user space agent:
 * rustlsm_task_may_wait(), for a blocking open without O_TRUNC or O_TMPFILE (do_open() and
 * do_tmpfile() hold the mount's write access, which a freeze waits for), holding no lock an
 * agent could need: the parent directory is not locked, as it is while mq_open() and a file
 * system's atomic_open() open the file. A lock held by another task makes this refuse too,
 * which only turns a wait into an immediate refusal.
 */
bool rustlsm_may_wait_in_open(const struct file *file)
{
	struct dentry *parent;
	bool locked;

	if (!rustlsm_task_may_wait() || (file->f_flags & (O_NONBLOCK | O_TRUNC | __O_TMPFILE)))
		return false;
	parent = dget_parent(file->f_path.dentry);
	locked = inode_is_locked(d_inode(parent));
	dput(parent);
	return !locked;
}

/*
 * Whether the current task may wait for a user space agent in a bind, listen, connect or
 * send on @sock with @msg_flags: rustlsm_task_may_wait(), on a user's blocking socket (one
 * with a file and without O_NONBLOCK) and without MSG_DONTWAIT. The socket hooks run before
 * the socket is locked. Never for a task that has used io_uring: it issues connect, bind
 * and listen inline under its ring's lock, non-blocking in intent (a flag the hook does not
 * see), and runs such requests from task work on the way out of any system call.
 */
bool rustlsm_may_wait_on_socket(const struct socket *sock, unsigned int msg_flags)
{
	if (!rustlsm_task_may_wait() || (msg_flags & MSG_DONTWAIT) || !sock->file ||
	    (READ_ONCE(sock->file->f_flags) & O_NONBLOCK))
		return false;
#ifdef CONFIG_IO_URING
	if (current->io_uring)
		return false;
#endif
	return true;
}

/*
 * Whether the current task is in an exec past its program's open (prepare_bprm_creds() to
 * the end of bprm_execve()): the loader's own opens and mappings (a script's interpreter,
 * the program's segments, the dynamic loader) happen then.
 */
bool rustlsm_in_execve(void)
{
	return current->in_execve;
}

/*
 * Whether @file is being opened as an exec's program: an exec open (__FMODE_EXEC) before
 * the exec proper, where the loader opens interpreters, and not the backing file that a
 * stacking file system (overlayfs, FUSE passthrough) opens under it.
 */
bool rustlsm_is_program_open(const struct file *file)
{
	return (file->f_flags & __FMODE_EXEC) && !(file->f_mode & FMODE_BACKING) &&
	       !current->in_execve;
}

/*
 * The unique id of @sock's network namespace (NS_GET_ID on /proc/PID/ns/net), never reused:
 * 127.0.0.1 in one namespace is not 127.0.0.1 in another.
 */
u64 rustlsm_sock_netns_id(const struct socket *sock)
{
	return sock_net(sock->sk)->ns.ns_id;
}

/* A counted reference to the current thread group's pid: an agent's identity. */
struct pid *rustlsm_get_current_tgid(void)
{
	return get_pid(task_tgid(current));
}

/* Whether @pid is the current thread group's pid. */
bool rustlsm_current_tgid_is(const struct pid *pid)
{
	return task_tgid(current) == pid;
}

/* Drops a reference rustlsm_get_current_tgid() took. */
void rustlsm_put_pid(struct pid *pid)
{
	put_pid(pid);
}

/* Whether @name spells @nr in decimal, as procfs names a pid directory. */
static bool rustlsm_names_number(const struct qstr *name, pid_t nr)
{
	char buf[12];
	int len;

	if (nr <= 0)
		return false;
	len = snprintf(buf, sizeof(buf), "%d", nr);
	return name->len == len && !memcmp(name->name, buf, len);
}

/*
 * When @path is on a procfs mount of the whole file system and under the (hashed) directory
 * of the current thread group or of the current thread (as the mount's pid namespace numbers
 * them), the number of components after that directory's (0 for the directory itself);
 * -1 otherwise. procfs neither renames nor moves pid directories, so the walk up and the
 * name read under RCU see a stable chain; a rendered path of such a file ends with the same
 * components, since its mount's root is the file system's.
 */
int rustlsm_proc_own_depth(const struct path *path)
{
	struct dentry *d = path->dentry, *parent;
	struct super_block *sb = d->d_sb;
	struct pid_namespace *ns;
	int depth = 0;
	bool own;

	if (sb->s_magic != PROC_SUPER_MAGIC || path->mnt->mnt_root != sb->s_root)
		return -1;
	ns = proc_pid_ns(sb);
	rcu_read_lock();
	for (;;) {
		parent = READ_ONCE(d->d_parent);
		if (parent == sb->s_root)
			break;
		if (parent == d) {
			rcu_read_unlock();
			return -1;
		}
		d = parent;
		depth++;
	}
	/*
	 * A pid directory is unhashed when its task is reaped (proc_flush_pid), so a stale
	 * dentry held open across the reuse of its number is not taken for the task's own.
	 */
	own = d != sb->s_root && !d_unhashed(d) &&
	      (rustlsm_names_number(&d->d_name, task_tgid_nr_ns(current, ns)) ||
	       rustlsm_names_number(&d->d_name, task_pid_nr_ns(current, ns)));
	rcu_read_unlock();
	return own ? depth : -1;
}

/*
 * Whether @dir is on the current task's POSIX message queue file system; if so, @root becomes
 * that file system's internal mount (its IPC namespace holds it), so that a queue being
 * created is named as an opened one is. Only the current task changes its own nsproxy.
 */
bool rustlsm_mqueue_root(const struct inode *dir, struct path *root)
{
#ifdef CONFIG_POSIX_MQUEUE
	struct vfsmount *mnt;

	/* Every create and unlink on every file system comes here: test the cheap part first. */
	if (dir->i_sb->s_magic != RUSTLSM_MQUEUE_MAGIC)
		return false;
	mnt = current->nsproxy->ipc_ns->mq_mnt;
	if (!mnt || mnt->mnt_sb != dir->i_sb)
		return false;
	root->mnt = mnt;
	root->dentry = mnt->mnt_root;
	return true;
#else
	return false;
#endif
}

/* Whether ioctl @cmd sets inode flags (the encodings differ between arches). */
bool rustlsm_ioctl_sets_inode_flags(unsigned int cmd)
{
	return cmd == FS_IOC_SETFLAGS || cmd == FS_IOC32_SETFLAGS ||
	       cmd == FS_IOC_FSSETXATTR;
}

bool rustlsm_ioctl_is_terminal_routine(unsigned int cmd)
{
	switch (cmd) {
	case TCGETS:
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case TCGETS2:
	case TCSETS2:
	case TCSETSW2:
	case TCSETSF2:
	case TIOCGWINSZ:
	case TIOCGPGRP:
	case TIOCGSID:
	case FIONREAD:
	case TIOCOUTQ:
	case TCSBRK:
	case TCSBRKP:
	case TCFLSH:
	case TCXONC:
		return true;
	default:
		return false;
	}
}
