// SPDX-License-Identifier: GPL-2.0

#include <linux/rcupdate.h>
#include "rct_helpers.h"

void rct_helper_rcu_read_lock(void)
{
	rcu_read_lock();
}

void rct_helper_rcu_read_unlock(void)
{
	rcu_read_unlock();
}
