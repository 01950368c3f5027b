// SPDX-License-Identifier: GPL-2.0

#include <linux/fs.h>
#include <linux/proc_fs.h>
#include <linux/uidgid.h>
#include <net/net_namespace.h>
#include "rct_helpers.h"

void *rct_helper_pde_data(const struct inode *inode)
{
	return pde_data(inode);
}

struct inode *rct_helper_file_inode(const struct file *f)
{
	return file_inode(f);
}

void rct_helper_proc_set_net_root(struct proc_dir_entry *pde, const struct net *net)
{
	kuid_t uid = make_kuid(net->user_ns, 0);
	kgid_t gid = make_kgid(net->user_ns, 0);

	if (uid_valid(uid) && gid_valid(gid))
		proc_set_user(pde, uid, gid);
}
