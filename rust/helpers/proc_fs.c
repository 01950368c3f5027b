// SPDX-License-Identifier: GPL-2.0

#include <linux/fs.h>
#include <linux/proc_fs.h>
#include "rct_helpers.h"

void *rct_helper_pde_data(const struct inode *inode)
{
	return pde_data(inode);
}

struct inode *rct_helper_file_inode(const struct file *f)
{
	return file_inode(f);
}
